package dev.pymode.cloudflare;

import static dev.pymode.cloudflare.Envelopes.failure;
import static dev.pymode.cloudflare.Envelopes.json;
import static dev.pymode.cloudflare.Envelopes.ok;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import mockwebserver3.RecordedRequest;

import org.junit.jupiter.api.Test;

/** Static assets: wrangler's hash, the session and bucketed uploads, and the upload metadata that redeems them. */
class StaticAssetsTest extends ClientFixture {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SESSION_JWT = "session.jwt-NEVER-PRINT-1";
    private static final String COMPLETION_JWT = "completion.jwt-NEVER-PRINT-2";
    private static final byte[] PYC = {(byte) 0xcb, 0x0d, 0x0d, 0x0a, 0, 1, 2, 3};
    private static final byte[] README = "hello\n".getBytes(StandardCharsets.UTF_8);
    private static final byte[] PY = "print(1)\n".getBytes(StandardCharsets.UTF_8);

    private static StaticAssets assets() {
        ObjectNode config = JSON.createObjectNode().put("run_worker_first", true);
        return StaticAssets.builder()
                .file("/__pymode/stdlib/json/decoder.pyc", PYC)
                .file("/a/README", README)
                .file("/x.py", PY)
                .config(config)
                .build();
    }

    private static WorkerUpload upload() {
        return WorkerUpload.builder("index.js")
                .module("index.js", ModuleType.ESM, "export default {}".getBytes(StandardCharsets.UTF_8))
                .binding(new Binding.Assets("PYMODE_ASSETS"))
                .compatibilityDate("2025-04-01")
                .assets(assets())
                .build();
    }

    /** Vectors computed with wrangler 4.86.0's own hashFile (blake3-wasm over base64 + extension). */
    @Test
    void hashesAreWranglers() {
        assertThat(StaticAssets.hash("/__pymode/stdlib/json/decoder.pyc", PYC)).isEqualTo("8cfcd58f60ef95067a9848bf3eb31487");
        assertThat(StaticAssets.hash("/a/README", README)).isEqualTo("a304da4b4a88dc5288e58ab9307a3e3e");
        assertThat(StaticAssets.hash("/x.py", PY)).isEqualTo("7263db40daea9801f411dcd74b9773c6");
        assertThat(StaticAssets.extension("/a/.hidden")).isEmpty();
        assertThat(StaticAssets.extension("/a.b/c")).isEmpty();
        assertThat(StaticAssets.extension("/a/b.tar.gz")).isEqualTo("gz");
    }

    @Test
    void badPathsAndEmptySetsAreRefused() {
        assertThatThrownBy(() -> StaticAssets.builder().file("rel/a", PY)).hasMessageContaining("must start with '/'");
        assertThatThrownBy(() -> StaticAssets.builder().file("/a/../b", PY)).hasMessageContaining("'..'");
        assertThatThrownBy(() -> StaticAssets.builder().file("/a//b", PY)).hasMessageContaining("empty");
        assertThatThrownBy(() -> StaticAssets.builder().file("/a", PY).file("/a", PY)).hasMessageContaining("twice");
        assertThatThrownBy(() -> StaticAssets.builder().build()).hasMessageContaining("without a file");
    }

    @Test
    void missingHashesAreUploadedInTheirBucketsWithTheSessionToken() throws Exception {
        String pycHash = StaticAssets.hash("/__pymode/stdlib/json/decoder.pyc", PYC);
        String pyHash = StaticAssets.hash("/x.py", PY);
        server.enqueue(ok("{\"jwt\":\"" + SESSION_JWT + "\",\"buckets\":[[\"" + pycHash + "\"],[\"" + pyHash + "\"]]}"));
        server.enqueue(json(202, "{\"success\":true,\"errors\":[],\"messages\":[],\"result\":{}}"));
        server.enqueue(json(201, "{\"success\":true,\"errors\":[],\"messages\":[],\"result\":{\"jwt\":\""
                + COMPLETION_JWT + "\"}}"));
        server.enqueue(ok("{\"id\":\"w\",\"modified_on\":\"2026-01-01T00:00:00Z\"}"));

        DeployResult result = client.deploy(ACCOUNT, "w", upload(), 100, "m", Optional.empty(), null);
        assertThat(result.path()).isEqualTo(DeployResult.Path.SCRIPT_PUT);

        RecordedRequest session = take();
        assertThat(session.getMethod()).isEqualTo("POST");
        assertThat(target(session)).isEqualTo("/accounts/" + ACCOUNT + "/workers/scripts/w/assets-upload-session");
        assertThat(session.getHeaders().get("Authorization")).isEqualTo("Bearer " + TOKEN);
        JsonNode manifest = JSON.readTree(session.getBody().utf8()).path("manifest");
        assertThat(manifest.toString()).isEqualTo("{\"/__pymode/stdlib/json/decoder.pyc\":{\"hash\":\"" + pycHash
                + "\",\"size\":8},\"/a/README\":{\"hash\":\"a304da4b4a88dc5288e58ab9307a3e3e\",\"size\":6},"
                + "\"/x.py\":{\"hash\":\"" + pyHash + "\",\"size\":9}}");

        List<String> bodies = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            RecordedRequest upload = take();
            assertThat(target(upload)).isEqualTo("/accounts/" + ACCOUNT + "/workers/assets/upload?base64=true");
            assertThat(upload.getHeaders().get("Authorization")).isEqualTo("Bearer " + SESSION_JWT);
            assertThat(upload.getHeaders().get("Content-Type")).startsWith("multipart/form-data; boundary=");
            bodies.add(upload.getBody().utf8());
        }
        assertThat(bodies.get(0)).contains("Content-Disposition: form-data; name=\"" + pycHash + "\"; filename=\""
                + pycHash + "\"\r\nContent-Type: application/null\r\n\r\n" + Base64.getEncoder().encodeToString(PYC)
                + "\r\n").doesNotContain(pyHash);
        assertThat(bodies.get(1)).contains("name=\"" + pyHash + "\"", "Content-Type: text/x-python; charset=utf-8",
                Base64.getEncoder().encodeToString(PY));

        RecordedRequest put = take();
        assertThat(put.getMethod()).isEqualTo("PUT");
        String body = put.getBody().utf8();
        String metadata = body.substring(body.indexOf("{\"main_module\""), body.indexOf("\r\n--", body.indexOf("{\"main_module\"")));
        JsonNode meta = JSON.readTree(metadata);
        assertThat(meta.path("assets").toString()).isEqualTo("{\"jwt\":\"" + COMPLETION_JWT
                + "\",\"config\":{\"run_worker_first\":true}}");
        assertThat(meta.path("bindings").toString()).contains("{\"name\":\"PYMODE_ASSETS\",\"type\":\"assets\"}");
    }

    @Test
    void anAccountHoldingEveryHashCostsOnlyTheSessionWhoseTokenCompletes() throws Exception {
        server.enqueue(ok("{\"jwt\":\"" + SESSION_JWT + "\",\"buckets\":[]}"));
        AssetsUpload done = client.uploadAssets(ACCOUNT, "w", assets());
        assertThat(done.uploaded()).isZero();
        assertThat(done.requests()).isZero();
        assertThat(done.files()).isEqualTo(3);
        assertThat(done.completion().value()).isEqualTo(SESSION_JWT);
        assertThat(server.getRequestCount()).isEqualTo(1);
    }

    @Test
    void theUploadDigestIgnoresTheTokenButFollowsTheAssets() {
        WorkerUpload a = upload();
        assertThat(a.contentHash()).isEqualTo(upload().contentHash());
        WorkerUpload changed = WorkerUpload.builder("index.js")
                .module("index.js", ModuleType.ESM, "export default {}".getBytes(StandardCharsets.UTF_8))
                .binding(new Binding.Assets("PYMODE_ASSETS")).compatibilityDate("2025-04-01")
                .assets(StaticAssets.builder().file("/x.py", "print(2)\n".getBytes(StandardCharsets.UTF_8))
                        .config(JSON.createObjectNode().put("run_worker_first", true)).build())
                .build();
        assertThat(changed.contentHash()).isNotEqualTo(a.contentHash());
        assertThat(a.metadata(Optional.empty()).path("assets").toString()).isEqualTo("{\"config\":{\"run_worker_first\":true}}");
        assertThatThrownBy(() -> a.form(Optional.empty())).hasMessageContaining("completion token");
    }

    @Test
    void aBucketNamingAnUnknownHashOrAMissingCompletionFailsClearlyWithoutTheTokens() {
        server.enqueue(ok("{\"jwt\":\"" + SESSION_JWT + "\",\"buckets\":[[\"00000000000000000000000000000000\"]]}"));
        assertThatThrownBy(() -> client.uploadAssets(ACCOUNT, "w", assets()))
                .isInstanceOf(CloudflareException.class)
                .hasMessageContaining("asks for hash 00000000000000000000000000000000")
                .hasMessageNotContaining(SESSION_JWT);

        String pyHash = StaticAssets.hash("/x.py", PY);
        server.enqueue(ok("{\"jwt\":\"" + SESSION_JWT + "\",\"buckets\":[[\"" + pyHash + "\"]]}"));
        server.enqueue(json(202, "{\"success\":true,\"errors\":[],\"messages\":[],\"result\":{}}"));
        assertThatThrownBy(() -> client.uploadAssets(ACCOUNT, "w", assets()))
                .hasMessageContaining("no answer carried the completion token");

        // refused with the session's token twice (the second time in a new session): thrown
        for (int i = 0; i < 2; i++) {
            server.enqueue(ok("{\"jwt\":\"" + SESSION_JWT + "\",\"buckets\":[[\"" + pyHash + "\"]]}"));
            server.enqueue(failure(401, 10000, "Authentication error"));
        }
        assertThatThrownBy(() -> client.uploadAssets(ACCOUNT, "w", assets()))
                .isInstanceOf(CloudflareApiException.class)
                .hasMessageStartingWith("POST workers/assets/upload: HTTP 401")
                .satisfies(e -> assertThat(AssetsUpload.isAssetsCall(((CloudflareException) e).call())).isTrue())
                .hasMessageNotContaining(SESSION_JWT).hasMessageNotContaining(TOKEN);
        assertThat(new AssetsToken(SESSION_JWT).toString()).doesNotContain(SESSION_JWT);
        assertThat(upload().toString()).doesNotContain(SESSION_JWT);
    }

    @Test
    void anUploadRefusedForASpentSessionTokenStartsOverInANewSession() throws Exception {
        String pyHash = StaticAssets.hash("/x.py", PY);
        server.enqueue(ok("{\"jwt\":\"" + SESSION_JWT + "\",\"buckets\":[[\"" + pyHash + "\"]]}"));
        // the repeat of an upload whose first attempt completed the session (its answer lost)
        server.enqueue(failure(401, 10000, "Authentication error: the assets upload token is unknown or already complete"));
        server.enqueue(ok("{\"jwt\":\"" + COMPLETION_JWT + "\",\"buckets\":[]}"));

        AssetsUpload done = client.uploadAssets(ACCOUNT, "w", assets());

        assertThat(done.completion().value()).as("the new session's token: the account holds every file")
                .isEqualTo(COMPLETION_JWT);
        assertThat(done.uploaded()).isZero();
        assertThat(take().getUrl().encodedPath()).endsWith("/assets-upload-session");
        assertThat(take().getUrl().encodedPath()).contains("/workers/assets/upload");
        assertThat(take().getUrl().encodedPath()).endsWith("/assets-upload-session");
        assertThat(server.getRequestCount()).isEqualTo(3);
    }

    @Test
    void uploadsAre5xxRetriedAndCountedByTheLimiter() throws Exception {
        String pyHash = StaticAssets.hash("/x.py", PY);
        server.enqueue(failure(503, 10002, "busy"));
        server.enqueue(ok("{\"jwt\":\"" + SESSION_JWT + "\",\"buckets\":[[\"" + pyHash + "\"]]}"));
        server.enqueue(failure(502, 10002, "bad gateway"));
        server.enqueue(json(201, "{\"success\":true,\"errors\":[],\"messages\":[],\"result\":{\"jwt\":\""
                + COMPLETION_JWT + "\"}}"));
        // a budget of exactly four calls, not refilled in the test's time
        try (CloudflareClient budgeted = clientBuilder().rateLimiter(new RateLimiter(clock, 4, 1e-9))
                .maxPermitWait(java.time.Duration.ZERO).build()) {
            AssetsUpload done = budgeted.uploadAssets(ACCOUNT, "w", assets());
            assertThat(done.completion().value()).isEqualTo(COMPLETION_JWT);
            assertThat(done.uploaded()).isEqualTo(1);
            assertThat(done.requests()).isEqualTo(1);
            assertThat(server.getRequestCount()).isEqualTo(4);
            assertThatThrownBy(() -> budgeted.verifyAccountToken(ACCOUNT)).as("every attempt took a permit")
                    .isInstanceOf(RateLimitedException.class);
            assertThat(server.getRequestCount()).isEqualTo(4);
        }
    }
}
