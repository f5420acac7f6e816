package dev.pymode.operator.builds;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

/** sha256 over the canonical JSON of a map of inputs (keys sorted at every level): the hash of a build key. */
final class CanonicalHash {

    private static final ObjectMapper CANONICAL = new ObjectMapper()
            .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

    private CanonicalHash() {
    }

    static String of(Map<String, Object> inputs) {
        try {
            byte[] json = CANONICAL.writeValueAsBytes(new TreeMap<>(inputs));
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(json));
        } catch (JsonProcessingException | NoSuchAlgorithmException e) {
            throw new IllegalStateException("cannot hash build inputs", e);
        }
    }
}
