package dev.pymode.cloudflare;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every request the client makes, checked against the trimmed official OpenAPI file
 * ({@code cfstandin/spec/cloudflare-workers-openapi.json}, shared with the stand-in).
 */
class OpenApiConformanceTest extends ClientFixture {

    /** Real Cloudflare endpoints the trimmed file leaves out; each is asserted to be absent from it. */
    static final Map<String, String> OUTSIDE_THE_FILE = Map.of(
            "GET /accounts/{account_id}/tokens/verify",
            "account-owned token verify (Cloudflare's API tokens docs); the file has only /user/tokens/verify",
            "GET /zones",
            "zone lookup by name, as wrangler's route fallback does; the file has no zone endpoints",
            "GET /accounts/{account_id}/workers/scripts/w/schedules",
            "Get Cron Triggers (Cloudflare's Worker Cron Trigger API); validated by the stand-in's spec extension",
            "PUT /accounts/{account_id}/workers/scripts/w/schedules",
            "Update Cron Triggers; validated by the stand-in's spec extension");

    static JsonNode spec;
    static OpenApiRequestValidator validator;

    record Seen(String method, String path, Map<String, List<String>> query, String contentType, byte[] body) {
    }

    private final List<Seen> seen = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void loadSpec() throws IOException {
        try (InputStream in = OpenApiConformanceTest.class.getResourceAsStream("/cloudflare-workers-openapi.json")) {
            spec = new ObjectMapper().readTree(in);
        }
        validator = new OpenApiRequestValidator(spec, "/client/v4");
    }

    /** Answers every call with a plausible envelope and records the request. */
    private void answerEverything() {
        server.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                Map<String, List<String>> query = new LinkedHashMap<>();
                for (String name : request.getUrl().queryParameterNames()) {
                    query.put(name, request.getUrl().queryParameterValues(name));
                }
                seen.add(new Seen(request.getMethod(), request.getUrl().encodedPath(), query,
                        request.getHeaders().get("Content-Type"),
                        request.getBody() == null ? new byte[0] : request.getBody().toByteArray()));
                return answer(request.getMethod(), request.getUrl().encodedPath());
            }
        });
    }

    private static MockResponse answer(String method, String path) {
        String info = "{\"page\":1,\"per_page\":100,\"count\":1,\"total_count\":1,\"total_pages\":1}";
        if (path.endsWith("/assets-upload-session")) {
            return Envelopes.ok("{\"jwt\":\"session\",\"buckets\":[[\"" + StaticAssets.hash("/a.py", ASSET)
                    + "\"]]}");
        }
        if (path.endsWith("/workers/assets/upload")) {
            return Envelopes.json(201, "{\"success\":true,\"errors\":[],\"messages\":[],\"result\":{\"jwt\":\"done\"}}");
        }
        if (path.endsWith("/tokens/verify")) {
            return Envelopes.ok("{\"id\":\"t\",\"status\":\"active\"}");
        }
        if (path.endsWith("/storage/kv/namespaces")) {
            return method.equals("GET") ? Envelopes.ok("[{\"id\":\"kv0\",\"title\":\"other\"}]", info)
                    : Envelopes.ok("{\"id\":\"kv1\",\"title\":\"w-cache\"}");
        }
        if (path.endsWith("/r2/buckets")) {
            return method.equals("GET") ? Envelopes.ok("{\"buckets\":[]}", "{\"per_page\":100}")
                    : Envelopes.ok("{\"name\":\"w-assets\"}");
        }
        if (path.endsWith("/d1/database")) {
            return method.equals("GET") ? Envelopes.ok("[]", info) : Envelopes.ok("{\"uuid\":\"u1\",\"name\":\"w-db\"}");
        }
        if (path.endsWith("/workers/scripts")) {
            return Envelopes.ok("[{\"id\":\"w\",\"migration_tag\":\"v1\"}]");
        }
        if (path.endsWith("/versions")) {
            return method.equals("GET") ? Envelopes.ok("{\"items\":[{\"id\":\"v2\",\"number\":2}]}")
                    : Envelopes.ok("{\"id\":\"v3\",\"number\":3}");
        }
        if (path.endsWith("/deployments")) {
            return method.equals("GET") ? Envelopes.ok("{\"deployments\":[{\"id\":\"d1\",\"strategy\":\"percentage\","
                    + "\"versions\":[{\"version_id\":\"v2\",\"percentage\":100}]}]}")
                    : Envelopes.ok("{\"id\":\"d2\",\"strategy\":\"percentage\",\"versions\":[]}");
        }
        if (path.endsWith("/settings")) {
            return Envelopes.ok("{\"bindings\":[]}");
        }
        if (path.endsWith("/secrets") && method.equals("GET")) {
            return Envelopes.ok("[]");
        }
        if (path.endsWith("/workers/subdomain")) {
            return Envelopes.ok("{\"subdomain\":\"acme\"}");
        }
        if (path.endsWith("/subdomain")) {
            return Envelopes.ok("{\"enabled\":true,\"previews_enabled\":false}");
        }
        if (path.endsWith("/schedules")) {
            return Envelopes.ok("{\"schedules\":[{\"cron\":\"*/5 * * * *\"}]}");
        }
        if (path.endsWith("/zones")) {
            return Envelopes.ok("[{\"id\":\"z1\",\"name\":\"example.com\"}]", info);
        }
        if (path.endsWith("/workers/routes")) {
            return method.equals("GET") ? Envelopes.ok("[]") : Envelopes.ok("{\"id\":\"r1\"}");
        }
        return Envelopes.ok(method.equals("PUT") && path.contains("/workers/scripts/")
                ? "{\"id\":\"w\",\"etag\":\"e\"}" : "null");
    }

    private static final byte[] ASSET = "print(1)\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);

    /** Makes every call of the client once (some twice, in both of their forms). */
    private void callEverything() {
        WorkerUpload upload = WorkerUploadTest.probeWorker()
                .module("stdlib.zip", ModuleType.DATA, new byte[] {'P', 'K'})
                .module("notes.txt", ModuleType.TEXT, new byte[] {'n'})
                .build();
        WorkerUpload versionUpload = WorkerUpload.builder("index.js")
                .module("index.js", ModuleType.ESM, "export default {}".getBytes())
                .binding(new Binding.DurableObjectNamespace("MY_DO", "Counter"))
                .migrations(List.of(MigrationStep.newSqliteClasses("v1", "Counter")))
                .keepBindings(List.of("secret_text"))
                .annotations("msg", "tag")
                .build();

        client.verifyToken();
        client.verifyAccountToken(ACCOUNT);
        client.findOrCreateKvNamespace(ACCOUNT, "w-cache");
        client.findOrCreateR2Bucket(ACCOUNT, "w-assets");
        client.findOrCreateD1Database(ACCOUNT, "w-db");
        client.uploadScript(ACCOUNT, "w", upload, null);
        client.uploadScript(ACCOUNT, "w", WorkerUpload.builder("index.js")
                .module("index.js", ModuleType.ESM, "export default {}".getBytes())
                .binding(new Binding.Assets("PYMODE_ASSETS"))
                .assets(StaticAssets.builder().file("/a.py", ASSET)
                        .config(new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode()
                                .put("run_worker_first", true)).build())
                .build(), null);
        client.uploadScript(ACCOUNT, "w", upload, "v0", List.of("team=payments"));
        client.deploy(ACCOUNT, "w", versionUpload, 25, "canary");
        client.listVersions(ACCOUNT, "w");
        client.getSettings(ACCOUNT, "w");
        client.patchSettings(ACCOUNT, "w", new SettingsPatch(List.of(new Binding.PlainText("MODE", "prod"),
                new Binding.SecretText("API_KEY", "value")), "2025-04-01", List.of("nodejs_compat")));
        client.putSecret(ACCOUNT, "w", "API_KEY", "value");
        client.listSecrets(ACCOUNT, "w");
        client.deleteSecret(ACCOUNT, "w", "API_KEY");
        client.accountSubdomain(ACCOUNT);
        client.scriptSubdomain(ACCOUNT, "w");
        client.setScriptSubdomain(ACCOUNT, "w", true);
        client.schedules(ACCOUNT, "w");
        client.putSchedules(ACCOUNT, "w", List.of("*/5 * * * *"));
        String zone = client.findZoneId(ACCOUNT, "example.com").orElseThrow();
        client.listRoutes(ACCOUNT, zone);
        client.createRoute(ACCOUNT, zone, "example.com/*", "w");
        client.deleteRoute(ACCOUNT, zone, "r1");
        client.deleteScript(ACCOUNT, "w");
        client.deleteKvNamespace(ACCOUNT, "kv1");
        client.deleteR2Bucket(ACCOUNT, "w-assets");
        client.deleteD1Database(ACCOUNT, "u1");
    }

    @Test
    void everyRequestMatchesTheOpenApiFile() {
        answerEverything();
        callEverything();

        Set<String> operations = new LinkedHashSet<>();
        List<String> problems = new ArrayList<>();
        for (Seen request : seen) {
            String path = request.path().substring("/client/v4".length());
            String operation = request.method() + " " + validator.template(path).orElse(path);
            String outside = request.method() + " " + path.replace(ACCOUNT, "{account_id}");
            if (OUTSIDE_THE_FILE.containsKey(outside)) {
                operations.add(outside + " (outside the file)");
                continue;
            }
            operations.add(operation);
            validator.validate(request.method(), request.path(), request.query(), request.contentType(),
                    request.body()).forEach(p -> problems.add(operation + ": " + p));
        }

        assertThat(problems).isEmpty();
        assertThat(operations).containsExactlyInAnyOrder(
                "GET /user/tokens/verify",
                "GET /accounts/{account_id}/tokens/verify (outside the file)",
                "GET /accounts/{account_id}/storage/kv/namespaces",
                "POST /accounts/{account_id}/storage/kv/namespaces",
                "DELETE /accounts/{account_id}/storage/kv/namespaces/{namespace_id}",
                "GET /accounts/{account_id}/r2/buckets",
                "POST /accounts/{account_id}/r2/buckets",
                "DELETE /accounts/{account_id}/r2/buckets/{bucket_name}",
                "GET /accounts/{account_id}/d1/database",
                "POST /accounts/{account_id}/d1/database",
                "DELETE /accounts/{account_id}/d1/database/{database_id}",
                "GET /accounts/{account_id}/workers/scripts",
                "PUT /accounts/{account_id}/workers/scripts/{script_name}",
                "POST /accounts/{account_id}/workers/scripts/{script_name}/assets-upload-session",
                "POST /accounts/{account_id}/workers/assets/upload",
                "DELETE /accounts/{account_id}/workers/scripts/{script_name}",
                "POST /accounts/{account_id}/workers/scripts/{script_name}/versions",
                "GET /accounts/{account_id}/workers/scripts/{script_name}/versions",
                "GET /accounts/{account_id}/workers/scripts/{script_name}/deployments",
                "POST /accounts/{account_id}/workers/scripts/{script_name}/deployments",
                "GET /accounts/{account_id}/workers/scripts/{script_name}/settings",
                "PATCH /accounts/{account_id}/workers/scripts/{script_name}/settings",
                "PUT /accounts/{account_id}/workers/scripts/{script_name}/secrets",
                "GET /accounts/{account_id}/workers/scripts/{script_name}/secrets",
                "DELETE /accounts/{account_id}/workers/scripts/{script_name}/secrets/{secret_name}",
                "GET /accounts/{account_id}/workers/subdomain",
                "GET /accounts/{account_id}/workers/scripts/{script_name}/subdomain",
                "POST /accounts/{account_id}/workers/scripts/{script_name}/subdomain",
                "GET /zones (outside the file)",
                "GET /accounts/{account_id}/workers/scripts/w/schedules (outside the file)",
                "PUT /accounts/{account_id}/workers/scripts/w/schedules (outside the file)",
                "GET /zones/{zone_id}/workers/routes",
                "POST /zones/{zone_id}/workers/routes",
                "DELETE /zones/{zone_id}/workers/routes/{route_id}");
    }

    @Test
    void callsOutsideTheFileAreReallyAbsentFromIt() {
        for (String call : OUTSIDE_THE_FILE.keySet()) {
            String path = call.substring(call.indexOf(' ') + 1);
            assertThat(validator.template(path.replace("{account_id}", ACCOUNT))).as(call).isEmpty();
        }
    }

    @Test
    void keptSecretsInASettingsPatchAreWhereWranglerAndTheFileDisagree() {
        // `wrangler secret bulk` names kept secrets as {"type":"secret_text","name":…} without text, and the
        // API accepts that; the file's secret_text schema requires text. The validator must see the difference.
        answerEverything();
        client.patchSettings(ACCOUNT, "w", new SettingsPatch(List.of(new Binding.SecretText("OLD", null)), null, null));
        Seen patch = seen.get(0);
        assertThat(validator.validate(patch.method(), patch.path(), patch.query(), patch.contentType(), patch.body()))
                .containsExactly("settings.bindings[0]<secret_text> lacks required text");
    }

    @Test
    void theValidatorRejectsWhatTheFileForbids() {
        List<String> problems = new ArrayList<>();
        ObjectMapper mapper = new ObjectMapper();
        JsonNode deploymentSchema = spec.at("/components/schemas/workers_deployment");
        validator.validate(deploymentSchema, mapper.createObjectNode().put("strategy", "all-at-once"), "body", problems);
        assertThat(problems).containsExactly("body lacks required versions",
                "body.strategy = \"all-at-once\" is not in [\"percentage\"]");

        assertThat(validator.validate("GET", "/client/v4/accounts/" + ACCOUNT + "/workers/scripts",
                Map.of("excludeScript", List.of("true")), null, null))
                .containsExactly("query parameter excludeScript is not declared");
        assertThat(validator.validate("POST", "/client/v4/accounts/" + ACCOUNT + "/r2/buckets", Map.of(),
                "application/json", "{\"name\":\"Bad_Name\"}".getBytes()))
                .containsExactly("body.name = Bad_Name does not match \"^[a-z0-9][a-z0-9-]*[a-z0-9]\"");

        // multipart: the metadata part is schema-checked, module parts by their Content-Type
        MultipartForm form = new MultipartForm().field("metadata", "{\"bindings\":[{\"type\":\"kv_namespace\",\"name\":\"KV\"}]}")
                .file("conf.json", "conf.json", ModuleType.JSON.mimeType(), "{}".getBytes());
        assertThat(validator.validate("POST", "/client/v4/accounts/" + ACCOUNT + "/workers/scripts/w/versions",
                Map.of(), "multipart/form-data; boundary=b", form.encode("b"))).containsExactly(
                "metadata lacks required main_module",
                "metadata.bindings[0]<kv_namespace> lacks required namespace_id",
                "module part conf.json has Content-Type application/json, not one of [application/javascript+module, "
                        + "text/javascript+module, application/javascript, text/javascript, text/x-python, "
                        + "text/x-python-requirement, application/wasm, text/plain, application/octet-stream, "
                        + "application/source-map]");
    }
}
