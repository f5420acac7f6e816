package dev.pymode.delivery;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

/** Sample PyMode objects with statuses as the operator's StatusAggregator writes them (src/test/resources/health). */
final class Fixtures {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Fixtures() {
    }

    static Map<String, Object> load(String name) throws IOException {
        try (InputStream in = Fixtures.class.getResourceAsStream("/health/" + name + ".json")) {
            if (in == null) {
                throw new IOException("no fixture " + name);
            }
            return JSON.readValue(in, new TypeReference<>() { });
        }
    }
}
