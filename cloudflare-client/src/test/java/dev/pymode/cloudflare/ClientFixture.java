package dev.pymode.cloudflare;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;

import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** A MockWebServer standing in for the API plus a client on a test clock; one of each per test. */
abstract class ClientFixture {

    static final String TOKEN = "tok-8c1f0e2d-NEVER-PRINT-ME";
    static final String ACCOUNT = "0123456789abcdef0123456789abcdef";

    protected MockWebServer server;
    protected TestClock clock;
    protected CloudflareClient client;

    @BeforeEach
    void startServer() throws IOException {
        server = new MockWebServer();
        server.start();
        clock = new TestClock(Instant.parse("2026-01-01T00:00:00Z"));
        client = clientBuilder().build();
    }

    CloudflareClient.Builder clientBuilder() {
        return CloudflareClient.builder(TOKEN)
                .baseUrl(server.url("/client/v4").toString())
                .clock(clock)
                .sleeper(clock.sleeper())
                .jitter(() -> 0.0)
                .timeouts(Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(10));
    }

    @AfterEach
    void stopServer() {
        client.close();
        server.close();
    }

    RecordedRequest take() throws InterruptedException {
        RecordedRequest request = server.takeRequest(5, java.util.concurrent.TimeUnit.SECONDS);
        if (request == null) {
            throw new AssertionError("no request arrived");
        }
        return request;
    }

    /** Path below the base URL plus the raw query, e.g. {@code /accounts/A/workers/scripts?force=true}. */
    static String target(RecordedRequest request) {
        String path = request.getUrl().encodedPath().substring("/client/v4".length());
        String query = request.getUrl().encodedQuery();
        return query == null ? path : path + "?" + query;
    }
}
