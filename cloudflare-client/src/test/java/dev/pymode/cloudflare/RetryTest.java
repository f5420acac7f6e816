package dev.pymode.cloudflare;

import static dev.pymode.cloudflare.Envelopes.failure;
import static dev.pymode.cloudflare.Envelopes.ok;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Duration;

import mockwebserver3.MockResponse;
import mockwebserver3.SocketEffect;

import org.junit.jupiter.api.Test;

class RetryTest extends ClientFixture {

    private static MockResponse dropConnection() {
        return new MockResponse.Builder().onResponseStart(SocketEffect.ShutdownConnection.INSTANCE).build();
    }

    @Test
    void idempotentCallIsRetriedOn5xxThenSucceeds() {
        server.enqueue(failure(503, 10013, "service unavailable"));
        server.enqueue(failure(500, 10002, "internal"));
        server.enqueue(ok("[{\"id\":\"w\"}]"));

        assertThat(client.listScripts(ACCOUNT)).hasSize(1);
        assertThat(server.getRequestCount()).isEqualTo(3);
        // jitter fixed at 0: half of 250 ms, then half of 500 ms
        assertThat(clock.sleeps).containsExactly(Duration.ofMillis(125), Duration.ofMillis(250));
    }

    @Test
    void putIsRetriedAfterAnIoError() {
        server.enqueue(dropConnection());
        server.enqueue(ok("{\"id\":\"w\",\"etag\":\"e\"}"));

        assertThat(client.uploadScript(ACCOUNT, "w", CloudflareClientTest.upload(), null).etag()).isEqualTo("e");
        assertThat(server.getRequestCount()).isEqualTo(2);
    }

    @Test
    void retriesAreBoundedAndTheLastAnswerIsReported() {
        for (int i = 0; i < RetryPolicy.DEFAULT.maxAttempts(); i++) {
            server.enqueue(failure(502, 10002, "bad gateway " + i));
        }
        CloudflareApiException e = catchThrowableOfType(CloudflareApiException.class,
                () -> client.getSettings(ACCOUNT, "w"));
        assertThat(e.status()).isEqualTo(502);
        assertThat(e.errors()).extracting(ApiError::message).containsExactly("bad gateway 3");
        assertThat(server.getRequestCount()).isEqualTo(RetryPolicy.DEFAULT.maxAttempts());
        assertThat(clock.sleeps).hasSize(RetryPolicy.DEFAULT.maxAttempts() - 1);
    }

    @Test
    void ioErrorsOnTheLastAttemptSurfaceAsCloudflareException() {
        for (int i = 0; i < RetryPolicy.DEFAULT.maxAttempts(); i++) {
            server.enqueue(dropConnection());
        }
        CloudflareException e = catchThrowableOfType(CloudflareException.class, () -> client.listScripts(ACCOUNT));
        assertThat(e).hasMessageStartingWith("GET workers/scripts: I/O error after 4 attempt(s)");
        assertThat(e.getCause()).isInstanceOf(java.io.IOException.class);
    }

    @Test
    void nonIdempotentPostIsNotResent() {
        server.enqueue(failure(500, 10002, "internal"));
        CloudflareApiException e = catchThrowableOfType(CloudflareApiException.class,
                () -> client.uploadVersion(ACCOUNT, "w", CloudflareClientTest.upload()));
        assertThat(e.status()).isEqualTo(500);
        assertThat(server.getRequestCount()).isEqualTo(1);

        server.enqueue(dropConnection());
        catchThrowableOfType(CloudflareException.class, () -> client.createKvNamespace(ACCOUNT, "t"));
        assertThat(server.getRequestCount()).isEqualTo(2);
    }

    @Test
    void findOrCreateCreatesAgainOnlyAfterSeeingTheFirstCreateDidNotLand() {
        server.enqueue(ok("[]", "{\"per_page\":100}"));
        server.enqueue(failure(503, 10013, "unavailable"));
        server.enqueue(ok("[]", "{\"per_page\":100}"));
        server.enqueue(ok("{\"name\":\"w-assets\"}"));

        assertThat(client.findOrCreateR2Bucket(ACCOUNT, "w-assets").name()).isEqualTo("w-assets");
        assertThat(server.getRequestCount()).isEqualTo(4);
        assertThat(clock.sleeps).containsExactly(Duration.ofMillis(125));
    }

    @Test
    void findOrCreateGivesUpOnARejectedCreate() {
        server.enqueue(ok("[]", "{\"total_pages\":1}"));
        server.enqueue(failure(400, 7400, "The database name is invalid"));
        server.enqueue(ok("[]", "{\"total_pages\":1}"));

        CloudflareApiException e = catchThrowableOfType(CloudflareApiException.class,
                () -> client.findOrCreateD1Database(ACCOUNT, "Bad Name"));
        assertThat(e.hasErrorCode(7400)).isTrue();
        assertThat(server.getRequestCount()).isEqualTo(3);
    }

    @Test
    void postsThatAreSafeToRepeatAreRetried() {
        server.enqueue(failure(503, 10013, "unavailable"));
        server.enqueue(ok("{\"enabled\":true,\"previews_enabled\":false}"));
        assertThat(client.setScriptSubdomain(ACCOUNT, "w", true).enabled()).isTrue();
        assertThat(server.getRequestCount()).isEqualTo(2);
    }

    @Test
    void backoffIsExponentialCappedAndJittered() {
        RetryPolicy policy = new RetryPolicy(10, Duration.ofMillis(100), Duration.ofMillis(1000));
        assertThat(policy.delayAfter(1, 0.0)).isEqualTo(Duration.ofMillis(50));
        assertThat(policy.delayAfter(1, 0.999)).isEqualTo(Duration.ofMillis(99));
        assertThat(policy.delayAfter(3, 0.0)).isEqualTo(Duration.ofMillis(200));
        assertThat(policy.delayAfter(9, 0.0)).isEqualTo(Duration.ofMillis(500));
        assertThat(policy.delayAfter(60, 1.0)).isEqualTo(Duration.ofMillis(1000));
    }
}
