package dev.pymode.cloudflare;

import static dev.pymode.cloudflare.Envelopes.failure;
import static dev.pymode.cloudflare.Envelopes.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import org.junit.jupiter.api.Test;

import mockwebserver3.MockResponse;

class ErrorEnvelopeTest extends ClientFixture {

    @Test
    void failureEnvelopeNamesTheCallStatusAndEveryError() {
        server.enqueue(json(400, "{\"success\":false,\"errors\":[{\"code\":10021,\"message\":\"Uncaught SyntaxError\"},"
                + "{\"code\":10027,\"message\":\"script too large\"}],\"messages\":[],\"result\":null}"));

        CloudflareApiException e = catchThrowableOfType(CloudflareApiException.class,
                () -> client.uploadScript(ACCOUNT, "w", CloudflareClientTest.upload(), null));

        assertThat(e.call()).isEqualTo("PUT workers/scripts/{script}");
        assertThat(e.status()).isEqualTo(400);
        assertThat(e.errors()).containsExactly(new ApiError(10021, "Uncaught SyntaxError"),
                new ApiError(10027, "script too large"));
        assertThat(e.hasErrorCode(10027)).isTrue();
        assertThat(e).hasMessage("PUT workers/scripts/{script}: HTTP 400: 10021 Uncaught SyntaxError; "
                + "10027 script too large");
        // a 4xx is an answer, not a transient failure
        assertThat(server.getRequestCount()).isEqualTo(1);
    }

    @Test
    void notFoundIsRecognisableByCode() {
        server.enqueue(failure(404, 10007, "workers.api.error.script_not_found"));

        CloudflareApiException e = catchThrowableOfType(CloudflareApiException.class,
                () -> client.getSettings(ACCOUNT, "gone"));

        assertThat(e.isNotFound()).isTrue();
        assertThat(e).hasMessage("GET workers/scripts/{script}/settings: HTTP 404: 10007 workers.api.error.script_not_found");
    }

    @Test
    void successFalseWithStatus200IsStillAFailure() {
        server.enqueue(json(200, "{\"success\":false,\"errors\":[{\"code\":1003,\"message\":\"Invalid or missing zone id.\"}],"
                + "\"messages\":[],\"result\":null}"));

        CloudflareApiException e = catchThrowableOfType(CloudflareApiException.class,
                () -> client.listRoutes(ACCOUNT, "z1"));

        assertThat(e.status()).isEqualTo(200);
        assertThat(e.errors()).extracting(ApiError::code).containsExactly(1003);
        assertThat(e.call()).isEqualTo("GET zones/{zone}/workers/routes");
    }

    @Test
    void nonEnvelopeBodiesAreReportedWithoutEchoingThem() {
        server.enqueue(new MockResponse.Builder().code(403).addHeader("Content-Type", "text/html")
                .body("<html>blocked by proxy</html>").build());

        CloudflareApiException e = catchThrowableOfType(CloudflareApiException.class,
                () -> client.accountSubdomain(ACCOUNT));

        assertThat(e.status()).isEqualTo(403);
        assertThat(e.errors()).isEmpty();
        assertThat(e).hasMessage("GET workers/subdomain: HTTP 403: response is not a Cloudflare envelope "
                + "(text/html, 29 bytes)");
    }
}
