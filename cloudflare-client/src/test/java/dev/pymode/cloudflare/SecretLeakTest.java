package dev.pymode.cloudflare;

import static dev.pymode.cloudflare.Envelopes.failure;
import static dev.pymode.cloudflare.Envelopes.ok;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

import mockwebserver3.MockResponse;
import mockwebserver3.SocketEffect;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The API token and secret_text values never reach toString(), exception messages or log lines. */
class SecretLeakTest extends ClientFixture {

    static final String SECRET = "s3cret-VALUE-9f2e71";

    private final List<String> logLines = new ArrayList<>();
    private final Logger packageLogger = Logger.getLogger("dev.pymode.cloudflare");
    private final Handler capture = new Handler() {
        private final SimpleFormatter formatter = new SimpleFormatter();

        @Override
        public void publish(LogRecord record) {
            logLines.add(formatter.format(record));
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private Level previousLevel;

    @BeforeEach
    void captureLogs() {
        previousLevel = packageLogger.getLevel();
        packageLogger.setLevel(Level.ALL);
        packageLogger.addHandler(capture);
    }

    @AfterEach
    void releaseLogs() {
        packageLogger.removeHandler(capture);
        packageLogger.setLevel(previousLevel);
    }

    @Test
    void noSecretInToStringExceptionsOrLogs() {
        List<String> seen = new ArrayList<>();
        WorkerUpload upload = WorkerUpload.builder("index.js")
                .module("index.js", ModuleType.ESM, "export default {}".getBytes())
                .binding(new Binding.SecretText("API_KEY", SECRET))
                .binding(new Binding.PlainText("MODE", "prod"))
                .build();

        // retried 5xx then an error envelope, on an upload carrying the secret
        for (int i = 0; i < RetryPolicy.DEFAULT.maxAttempts(); i++) {
            server.enqueue(failure(500, 10002, "internal"));
        }
        seen.addAll(describe(() -> client.uploadScript(ACCOUNT, "w", upload, null)));
        // a rejected secret put
        server.enqueue(failure(400, 10021, "bad secret"));
        seen.addAll(describe(() -> client.putSecret(ACCOUNT, "w", "API_KEY", SECRET)));
        // dropped connections, retried and exhausted
        for (int i = 0; i < RetryPolicy.DEFAULT.maxAttempts(); i++) {
            server.enqueue(new MockResponse.Builder().onResponseStart(SocketEffect.ShutdownConnection.INSTANCE).build());
        }
        seen.addAll(describe(() -> client.patchSettings(ACCOUNT, "w",
                new SettingsPatch(List.of(new Binding.SecretText("API_KEY", SECRET)), null, null))));
        // a 429, then the fail-fast block
        server.enqueue(failure(429, 971, "throttled"));
        seen.addAll(describe(() -> client.uploadVersion(ACCOUNT, "w", upload)));
        seen.addAll(describe(() -> client.listSecrets(ACCOUNT, "w")));
        // a success, for symmetry
        server.enqueue(ok("{\"id\":\"t\",\"status\":\"active\"}"));
        client.verifyToken();

        seen.add(client.toString());
        seen.add(CloudflareClient.builder(TOKEN).toString());
        seen.add(upload.toString());
        seen.add(upload.bindings().toString());
        seen.add(new Binding.SecretText("API_KEY", SECRET).toString());
        seen.add(new SettingsPatch(List.of(new Binding.SecretText("API_KEY", SECRET)), null, null).toString());
        seen.add(upload.form(Optional.empty()).toString());
        seen.add(new Binding.Other("K", "secret_key",
                new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode().put("key_base64", SECRET)).toString());
        seen.add(upload.contentHash());

        assertThat(logLines).isNotEmpty();
        seen.addAll(logLines);
        assertThat(seen).hasSizeGreaterThan(15);
        for (String text : seen) {
            assertThat(text).doesNotContain(TOKEN).doesNotContain(SECRET);
        }
        assertThat(String.join("\n", seen)).contains("<redacted>");
    }

    /** Message, toString and causes of whatever the call throws. */
    private static List<String> describe(Runnable call) {
        List<String> texts = new ArrayList<>();
        try {
            call.run();
            texts.add("no exception");
        } catch (RuntimeException e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                texts.add(String.valueOf(t.getMessage()));
                texts.add(t.toString());
                for (Throwable s : t.getSuppressed()) {
                    texts.add(s.toString());
                }
            }
        }
        return texts;
    }
}
