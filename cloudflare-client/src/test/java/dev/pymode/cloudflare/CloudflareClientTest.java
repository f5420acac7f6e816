package dev.pymode.cloudflare;

import static dev.pymode.cloudflare.Envelopes.failure;
import static dev.pymode.cloudflare.Envelopes.ok;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

import mockwebserver3.RecordedRequest;

import org.junit.jupiter.api.Test;

/** Each call's method, path, query and body, against canned Cloudflare answers. */
class CloudflareClientTest extends ClientFixture {

    static final String A = "/accounts/" + ACCOUNT;

    private RecordedRequest expect(String method, String target) throws InterruptedException {
        RecordedRequest request = take();
        assertThat(request.getMethod() + " " + target(request)).isEqualTo(method + " " + target);
        assertThat(request.getHeaders().get("Authorization")).isEqualTo("Bearer " + TOKEN);
        return request;
    }

    private static String body(RecordedRequest request) {
        return request.getBody() == null ? "" : request.getBody().utf8();
    }

    @Test
    void verifiesUserAndAccountTokens() throws Exception {
        server.enqueue(ok("{\"id\":\"t1\",\"status\":\"active\",\"expires_on\":\"2027-01-01T00:00:00Z\"}"));
        server.enqueue(ok("{\"id\":\"t2\",\"status\":\"disabled\"}"));

        assertThat(client.verifyToken()).isEqualTo(new TokenStatus("t1", "active", "2027-01-01T00:00:00Z"));
        assertThat(client.verifyAccountToken(ACCOUNT).active()).isFalse();

        expect("GET", "/user/tokens/verify");
        expect("GET", A + "/tokens/verify");
    }

    @Test
    void findsAnExistingKvNamespaceWithoutCreating() throws Exception {
        server.enqueue(ok("[{\"id\":\"kv1\",\"title\":\"other\"},{\"id\":\"kv2\",\"title\":\"w-cache\"}]",
                "{\"page\":1,\"per_page\":100,\"count\":2,\"total_count\":2,\"total_pages\":1}"));

        assertThat(client.findOrCreateKvNamespace(ACCOUNT, "w-cache")).isEqualTo(new KvNamespace("kv2", "w-cache"));
        expect("GET", A + "/storage/kv/namespaces?order=title&direction=asc&per_page=100&page=1");
        assertThat(server.getRequestCount()).isEqualTo(1);
    }

    @Test
    void listsScriptsWithTheirTagsAndReplacesTheTags() throws Exception {
        server.enqueue(ok("[{\"id\":\"w\",\"etag\":\"e1\",\"modified_on\":\"2026-12-07T00:00:00Z\","
                + "\"tags\":[\"team-a\",\"pymode-upload=ab\"]},{\"id\":\"untagged\"}]"));
        server.enqueue(ok("{\"tags\":[\"team-a\",\"pymode-upload=cd\"],\"logpush\":false}"));

        assertThat(client.listScripts(ACCOUNT)).containsExactly(
                new WorkerScript("w", "e1", null, "2026-12-07T00:00:00Z", List.of("team-a", "pymode-upload=ab")),
                new WorkerScript("untagged", null, null, null, List.of()));
        assertThat(client.setScriptTags(ACCOUNT, "w", List.of("team-a", "pymode-upload=cd")))
                .containsExactly("team-a", "pymode-upload=cd");

        expect("GET", A + "/workers/scripts");
        RecordedRequest patch = expect("PATCH", A + "/workers/scripts/w/script-settings");
        assertThat(body(patch)).isEqualTo("{\"tags\":[\"team-a\",\"pymode-upload=cd\"]}");
    }

    @Test
    void aViewKnowsWhetherItSentACallThatMayHaveChangedTheAccount() throws Exception {
        server.enqueue(ok("[{\"id\":\"w\",\"modified_on\":\"2026-12-07T00:00:00Z\"}]"));
        server.enqueue(ok("{\"enabled\":true,\"previews_enabled\":true}"));
        server.enqueue(ok("{\"tags\":[\"pymode-upload=cd\"]}"));
        try (CloudflareClient sequence = client.reserving("deploy w", ACCOUNT, 3)) {
            sequence.listScripts(ACCOUNT);
            sequence.scriptSubdomain(ACCOUNT, "w");
            assertThat(sequence.sentWrites()).as("reads only").isFalse();
            sequence.setScriptTags(ACCOUNT, "w", List.of("pymode-upload=cd"));
            assertThat(sequence.sentWrites()).isTrue();
            // each view on its own: the client it came from, and a new sequence, have sent none
            assertThat(client.sentWrites()).isFalse();
        }
        try (CloudflareClient next = client.reserving("deploy w", ACCOUNT, 1)) {
            assertThat(next.sentWrites()).isFalse();
        }
    }

    @Test
    void listsEveryR2BucketAcrossCursorPages() throws Exception {
        server.enqueue(ok("{\"buckets\":[{\"name\":\"a\"}]}", "{\"cursor\":\"c2\",\"per_page\":100}"));
        server.enqueue(ok("{\"buckets\":[{\"name\":\"b\"}]}", "{\"per_page\":100}"));

        assertThat(client.listR2Buckets(ACCOUNT)).extracting(R2Bucket::name).containsExactly("a", "b");
        expect("GET", A + "/r2/buckets?per_page=100");
        expect("GET", A + "/r2/buckets?per_page=100&cursor=c2");
    }

    @Test
    void createsAMissingKvNamespace() throws Exception {
        server.enqueue(ok("[]", "{\"page\":1,\"per_page\":100,\"count\":0,\"total_count\":0,\"total_pages\":0}"));
        server.enqueue(ok("{\"id\":\"kv9\",\"title\":\"w-cache\",\"supports_url_encoding\":true}"));

        assertThat(client.findOrCreateKvNamespace(ACCOUNT, "w-cache")).isEqualTo(new KvNamespace("kv9", "w-cache"));
        expect("GET", A + "/storage/kv/namespaces?order=title&direction=asc&per_page=100&page=1");
        RecordedRequest create = expect("POST", A + "/storage/kv/namespaces");
        assertThat(body(create)).isEqualTo("{\"title\":\"w-cache\"}");
        assertThat(create.getHeaders().get("Content-Type")).startsWith("application/json");
    }

    @Test
    void findsOrCreatesR2BucketsThroughTheFilteredList() throws Exception {
        // the live API nests buckets under result.buckets; "w-assets-old" must not match "w-assets"
        server.enqueue(ok("{\"buckets\":[{\"name\":\"w-assets-old\"}]}", "{\"per_page\":100}"));
        server.enqueue(ok("{\"name\":\"w-assets\",\"location\":\"weur\",\"creation_date\":\"2026-01-01\"}"));
        server.enqueue(ok("[{\"name\":\"w-assets\",\"location\":\"weur\",\"creation_date\":\"2026-01-01\"}]",
                "{\"per_page\":100}"));

        assertThat(client.findOrCreateR2Bucket(ACCOUNT, "w-assets").name()).isEqualTo("w-assets");
        assertThat(client.findR2Bucket(ACCOUNT, "w-assets")).contains(
                new R2Bucket("w-assets", "weur", "2026-01-01"));

        expect("GET", A + "/r2/buckets?name_contains=w-assets&per_page=100");
        assertThat(body(expect("POST", A + "/r2/buckets"))).isEqualTo("{\"name\":\"w-assets\"}");
        expect("GET", A + "/r2/buckets?name_contains=w-assets&per_page=100");
    }

    @Test
    void findsOrCreatesD1DatabasesByName() throws Exception {
        server.enqueue(ok("[{\"uuid\":\"u0\",\"name\":\"w-db-2\"}]",
                "{\"page\":1,\"per_page\":100,\"count\":1,\"total_count\":1}"));
        server.enqueue(ok("{\"uuid\":\"u1\",\"name\":\"w-db\",\"version\":\"production\"}"));

        assertThat(client.findOrCreateD1Database(ACCOUNT, "w-db")).isEqualTo(new D1Database("u1", "w-db", "production"));
        expect("GET", A + "/d1/database?name=w-db&per_page=100&page=1");
        assertThat(body(expect("POST", A + "/d1/database"))).isEqualTo("{\"name\":\"w-db\"}");
    }

    @Test
    void deletesEachResourceKind() throws Exception {
        for (int i = 0; i < 4; i++) {
            server.enqueue(ok("null"));
        }
        client.deleteKvNamespace(ACCOUNT, "kv1");
        client.deleteR2Bucket(ACCOUNT, "w-assets");
        client.deleteD1Database(ACCOUNT, "u1");
        client.deleteScript(ACCOUNT, "w");

        expect("DELETE", A + "/storage/kv/namespaces/kv1");
        expect("DELETE", A + "/r2/buckets/w-assets");
        expect("DELETE", A + "/d1/database/u1");
        expect("DELETE", A + "/workers/scripts/w?force=true");
    }

    @Test
    void uploadScriptReadsTheRemoteMigrationTagThenPutsOnlyPendingSteps() throws Exception {
        server.enqueue(ok("[{\"id\":\"other\"},{\"id\":\"w\",\"etag\":\"e0\",\"migration_tag\":\"v1\"}]"));
        server.enqueue(ok("{\"id\":\"w\",\"etag\":\"e1\",\"migration_tag\":\"v2\",\"startup_time_ms\":3}"));

        WorkerUpload upload = WorkerUpload.builder("index.js")
                .module("index.js", ModuleType.ESM, "export default {}".getBytes(StandardCharsets.UTF_8))
                .migrations(List.of(MigrationStep.newSqliteClasses("v1", "PythonDO"),
                        MigrationStep.newSqliteClasses("v2", "ThreadDO")))
                .compatibilityDate("2025-04-01")
                .build();
        assertThat(client.uploadScript(ACCOUNT, "w", upload)).isEqualTo(new WorkerScript("w", "e1", "v2", null, List.of()));

        expect("GET", A + "/workers/scripts");
        RecordedRequest put = expect("PUT", A + "/workers/scripts/w?bindings_inherit=strict");
        String contentType = put.getHeaders().get("Content-Type");
        assertThat(contentType).startsWith("multipart/form-data; boundary=----formdata-pymode-");
        String boundary = contentType.substring(contentType.indexOf("boundary=") + 9);
        String expectedMetadata = upload.metadata(Migrations.toUpload(upload.migrations(), "v1")).toString();
        assertThat(expectedMetadata).contains("\"migrations\":{\"old_tag\":\"v1\",\"new_tag\":\"v2\","
                + "\"steps\":[{\"new_sqlite_classes\":[\"ThreadDO\"]}]}");
        assertThat(put.getBody().toByteArray()).isEqualTo(
                upload.form(Migrations.toUpload(upload.migrations(), "v1")).encode(boundary));
    }

    @Test
    void deployUsesThePutPathForANewScript() throws Exception {
        server.enqueue(ok("[]"));
        server.enqueue(ok("{\"id\":\"w\",\"etag\":\"e1\",\"migration_tag\":\"v1\"}"));

        DeployResult result = client.deploy(ACCOUNT, "w", upload(), 25, "first");
        assertThat(result.path()).isEqualTo(DeployResult.Path.SCRIPT_PUT);
        assertThat(result.script().migrationTag()).isEqualTo("v1");
        assertThat(result.versionId()).as("an answer without deployment_id names no version").isNull();

        expect("GET", A + "/workers/scripts");
        assertThat(body(expect("PUT", A + "/workers/scripts/w?bindings_inherit=strict")))
                .contains("\"migrations\":{\"new_tag\":\"v1\",\"steps\":[{\"new_sqlite_classes\":[\"PythonDO\"]}]}");
    }

    @Test
    void deployOnAKnownScriptStateListsNothingAndAPutCarriesTheScriptTags() throws Exception {
        server.enqueue(ok("{\"id\":\"w\",\"etag\":\"e1\",\"migration_tag\":\"v1\",\"tags\":[\"team=a\",\"d=1\"],"
                + "\"modified_on\":\"2026-12-07T00:00:00Z\",\"deployment_id\":\"0f1e2d3c4b5a69788796a5b4c3d2e1f0\"}"));

        DeployResult result = client.deploy(ACCOUNT, "w", upload(), 100, "first", Optional.empty(),
                List.of("team=a", "d=1"));

        assertThat(result.path()).isEqualTo(DeployResult.Path.SCRIPT_PUT);
        assertThat(result.script().modifiedOn()).isEqualTo("2026-12-07T00:00:00Z");
        assertThat(result.versionId()).as("the answer's deployment_id, hyphenated as wrangler does")
                .isEqualTo("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
        String put = body(expect("PUT", A + "/workers/scripts/w?bindings_inherit=strict"));
        assertThat(put).contains("\"tags\":[\"team=a\",\"d=1\"]");
        assertThat(server.getRequestCount()).as("no listing: the caller knew the script was not there").isEqualTo(1);
    }

    @Test
    void aGradualDeployOfAKnownScriptWithItsMigrationsAppliedTakesTheVersionsPathWithoutTagging() throws Exception {
        server.enqueue(ok("{\"id\":\"ver-new\",\"number\":2,\"metadata\":{\"created_on\":\"2026-01-01T00:00:00Z\"}}"));
        server.enqueue(ok("{\"deployments\":[]}"));
        server.enqueue(ok("{\"id\":\"d2\",\"created_on\":\"2026-01-01T00:00:01Z\",\"strategy\":\"percentage\","
                + "\"versions\":[{\"version_id\":\"ver-new\",\"percentage\":100}]}"));
        WorkerScript known = new WorkerScript("w", "e1", "v1", "2026-01-01T00:00:00Z", List.of());

        DeployResult result = client.deploy(ACCOUNT, "w", upload(), 50, "next", Optional.of(known), List.of("d=2"));

        assertThat(result.path()).isEqualTo(DeployResult.Path.VERSIONS);
        assertThat(body(expect("POST", A + "/workers/scripts/w/versions?bindings_inherit=strict")))
                .doesNotContain("\"tags\"");
        expect("GET", A + "/workers/scripts/w/deployments");
        expect("POST", A + "/workers/scripts/w/deployments");
        assertThat(server.getRequestCount()).isEqualTo(3);
    }

    @Test
    void aFullDeployOfAKnownScriptIsOnePutCarryingTheTagsAndTheMessage() throws Exception {
        server.enqueue(ok("{\"id\":\"w\",\"etag\":\"e2\",\"migration_tag\":\"v1\",\"tags\":[\"d=2\"],"
                + "\"modified_on\":\"2026-12-07T00:00:00Z\",\"deployment_id\":\"0f1e2d3c4b5a69788796a5b4c3d2e1f0\"}"));
        WorkerScript known = new WorkerScript("w", "e1", "v1", "2026-01-01T00:00:00Z", List.of("d=1"));

        DeployResult result = client.deploy(ACCOUNT, "w", upload("next"), 100, "next", Optional.of(known),
                List.of("d=2"));

        assertThat(result.path()).as("a version, a deployment and a tags call would be three")
                .isEqualTo(DeployResult.Path.SCRIPT_PUT);
        assertThat(result.versionId()).isEqualTo("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
        String put = body(expect("PUT", A + "/workers/scripts/w?bindings_inherit=strict"));
        assertThat(put).contains("\"tags\":[\"d=2\"]").contains("\"workers/message\":\"next\"")
                .as("the script is at the last migration tag").doesNotContain("migrations");
        assertThat(server.getRequestCount()).isEqualTo(1);
    }

    @Test
    void deployUsesTheVersionsPathAndSplitsTrafficWithThePreviousVersion() throws Exception {
        server.enqueue(ok("[{\"id\":\"w\",\"migration_tag\":\"v1\"}]"));
        server.enqueue(ok("{\"id\":\"ver-new\",\"number\":7,\"metadata\":{\"created_on\":\"2026-01-01T00:00:00Z\"}}"));
        server.enqueue(ok("{\"deployments\":[{\"id\":\"d1\",\"strategy\":\"percentage\",\"versions\":["
                + "{\"version_id\":\"ver-canary\",\"percentage\":10},{\"version_id\":\"ver-stable\",\"percentage\":90}]}]}"));
        server.enqueue(ok("{\"id\":\"d2\",\"created_on\":\"2026-01-01T00:00:01Z\",\"strategy\":\"percentage\","
                + "\"versions\":[{\"version_id\":\"ver-new\",\"percentage\":25},{\"version_id\":\"ver-stable\",\"percentage\":75}]}"));

        DeployResult result = client.deploy(ACCOUNT, "w", upload(), 25, "canary");

        assertThat(result.path()).isEqualTo(DeployResult.Path.VERSIONS);
        assertThat(result.version()).isEqualTo(new WorkerVersion("ver-new", 7, "2026-01-01T00:00:00Z"));
        assertThat(result.versionId()).isEqualTo("ver-new");
        assertThat(result.deployment().versions()).containsExactly(new Deployment.Share("ver-new", 25),
                new Deployment.Share("ver-stable", 75));

        expect("GET", A + "/workers/scripts");
        RecordedRequest version = expect("POST", A + "/workers/scripts/w/versions?bindings_inherit=strict");
        assertThat(body(version)).contains("name=\"metadata\"").doesNotContain("migrations");
        expect("GET", A + "/workers/scripts/w/deployments");
        assertThat(body(expect("POST", A + "/workers/scripts/w/deployments"))).isEqualTo(
                "{\"strategy\":\"percentage\",\"versions\":[{\"version_id\":\"ver-new\",\"percentage\":25},"
                        + "{\"version_id\":\"ver-stable\",\"percentage\":75}],"
                        + "\"annotations\":{\"workers/message\":\"canary\"}}");
    }

    @Test
    void rolloutAtOneHundredPercentNeedsNoPreviousVersion() throws Exception {
        server.enqueue(ok("{\"id\":\"d3\",\"strategy\":\"percentage\",\"versions\":[{\"version_id\":\"v\",\"percentage\":100}]}"));

        assertThat(client.rollout(ACCOUNT, "w", "v", 100, null).largestShare())
                .contains(new Deployment.Share("v", 100));
        assertThat(body(expect("POST", A + "/workers/scripts/w/deployments")))
                .isEqualTo("{\"strategy\":\"percentage\",\"versions\":[{\"version_id\":\"v\",\"percentage\":100}]}");
    }

    @Test
    void listsVersionsAndDeployments() throws Exception {
        server.enqueue(ok("{\"items\":[{\"id\":\"v2\",\"number\":2,\"metadata\":{\"created_on\":\"t2\"}},"
                + "{\"id\":\"v1\",\"number\":1,\"metadata\":{\"created_on\":\"t1\"}}]}"));
        server.enqueue(ok("{\"deployments\":[{\"id\":\"d\",\"created_on\":\"t\",\"strategy\":\"percentage\","
                + "\"versions\":[{\"version_id\":\"v2\",\"percentage\":100}]}]}"));

        assertThat(client.listVersions(ACCOUNT, "w")).extracting(WorkerVersion::id).containsExactly("v2", "v1");
        assertThat(client.listDeployments(ACCOUNT, "w")).containsExactly(new Deployment("d", "t", "percentage",
                List.of(new Deployment.Share("v2", 100))));

        expect("GET", A + "/workers/scripts/w/versions?per_page=100&page=1");
        expect("GET", A + "/workers/scripts/w/deployments");
    }

    @Test
    void readsSettingsAsBindingRecordsAndPatchesThemAsAMultipartSettingsField() throws Exception {
        String settings = "{\"bindings\":[{\"name\":\"MY_KV\",\"type\":\"kv_namespace\",\"namespace_id\":\"kv1\"},"
                + "{\"name\":\"API_KEY\",\"type\":\"secret_text\"},"
                + "{\"name\":\"PY\",\"type\":\"durable_object_namespace\",\"class_name\":\"PythonDO\",\"namespace_id\":\"ns\"},"
                + "{\"name\":\"AI\",\"type\":\"ai\"}],"
                + "\"compatibility_date\":\"2025-04-01\",\"compatibility_flags\":[\"nodejs_compat\"],\"usage_model\":\"standard\"}";
        server.enqueue(ok(settings));
        server.enqueue(ok(settings));

        ScriptSettings remote = client.getSettings(ACCOUNT, "w");
        assertThat(remote.bindings()).containsExactly(new Binding.KvNamespace("MY_KV", "kv1"),
                new Binding.SecretText("API_KEY", null), new Binding.DurableObjectNamespace("PY", "PythonDO"),
                remote.bindings().get(3));
        assertThat(remote.bindings().get(3)).isInstanceOf(Binding.Other.class);
        assertThat(remote.compatibilityFlags()).containsExactly("nodejs_compat");

        client.patchSettings(ACCOUNT, "w", new SettingsPatch(List.of(new Binding.SecretText("API_KEY", null),
                new Binding.PlainText("MODE", "prod")), null, null));

        expect("GET", A + "/workers/scripts/w/settings");
        RecordedRequest patch = expect("PATCH", A + "/workers/scripts/w/settings");
        String contentType = patch.getHeaders().get("Content-Type");
        String boundary = contentType.substring(contentType.indexOf("boundary=") + 9);
        assertThat(body(patch)).isEqualTo("--" + boundary + "\r\n"
                + "Content-Disposition: form-data; name=\"settings\"\r\n\r\n"
                + "{\"bindings\":[{\"name\":\"API_KEY\",\"type\":\"secret_text\"},"
                + "{\"name\":\"MODE\",\"type\":\"plain_text\",\"text\":\"prod\"}]}\r\n"
                + "--" + boundary + "--\r\n");
    }

    @Test
    void putsListsAndDeletesSecrets() throws Exception {
        server.enqueue(ok("{\"name\":\"API_KEY\",\"type\":\"secret_text\"}"));
        server.enqueue(ok("[{\"name\":\"API_KEY\",\"type\":\"secret_text\"}]"));
        server.enqueue(ok("null"));

        client.putSecret(ACCOUNT, "w", "API_KEY", "v4lue");
        assertThat(client.listSecrets(ACCOUNT, "w")).containsExactly(new SecretInfo("API_KEY", "secret_text"));
        client.deleteSecret(ACCOUNT, "w", "API_KEY");

        assertThat(body(expect("PUT", A + "/workers/scripts/w/secrets")))
                .isEqualTo("{\"name\":\"API_KEY\",\"text\":\"v4lue\",\"type\":\"secret_text\"}");
        expect("GET", A + "/workers/scripts/w/secrets");
        expect("DELETE", A + "/workers/scripts/w/secrets/API_KEY");
    }

    @Test
    void handlesTheWorkersDevSubdomain() throws Exception {
        server.enqueue(ok("{\"subdomain\":\"acme\"}"));
        server.enqueue(ok("{\"enabled\":false,\"previews_enabled\":false}"));
        server.enqueue(ok("{\"enabled\":true,\"previews_enabled\":false}"));

        assertThat(client.accountSubdomain(ACCOUNT)).isEqualTo("acme");
        assertThat(client.scriptSubdomain(ACCOUNT, "w").enabled()).isFalse();
        assertThat(client.setScriptSubdomain(ACCOUNT, "w", true)).isEqualTo(new ScriptSubdomain(true, false));

        expect("GET", A + "/workers/subdomain");
        expect("GET", A + "/workers/scripts/w/subdomain");
        RecordedRequest post = expect("POST", A + "/workers/scripts/w/subdomain");
        assertThat(body(post)).isEqualTo("{\"enabled\":true}");
        assertThat(post.getHeaders().get("Cloudflare-Workers-Script-Api-Date")).isEqualTo("2025-08-01");
    }

    @Test
    void readsAndReplacesCronTriggers() throws Exception {
        server.enqueue(ok("{\"schedules\":[{\"cron\":\"*/5 * * * *\",\"created_on\":\"2026-12-01T00:00:00Z\","
                + "\"modified_on\":\"2026-12-01T00:00:00Z\"}]}"));
        server.enqueue(ok("{\"schedules\":[{\"cron\":\"0 3 * * *\"},{\"cron\":\"*/5 * * * *\"}]}"));
        server.enqueue(ok("{\"schedules\":[]}"));

        assertThat(client.schedules(ACCOUNT, "w")).containsExactly(
                new CronTrigger("*/5 * * * *", "2026-12-01T00:00:00Z", "2026-12-01T00:00:00Z"));
        assertThat(client.putSchedules(ACCOUNT, "w", List.of("0 3 * * *", "*/5 * * * *")))
                .extracting(CronTrigger::cron).containsExactly("0 3 * * *", "*/5 * * * *");
        assertThat(client.putSchedules(ACCOUNT, "w", List.of())).isEmpty();

        expect("GET", A + "/workers/scripts/w/schedules");
        assertThat(body(expect("PUT", A + "/workers/scripts/w/schedules")))
                .isEqualTo("[{\"cron\":\"0 3 * * *\"},{\"cron\":\"*/5 * * * *\"}]");
        assertThat(body(expect("PUT", A + "/workers/scripts/w/schedules"))).isEqualTo("[]");
    }

    @Test
    void findsZonesAndManagesRoutes() throws Exception {
        server.enqueue(ok("[{\"id\":\"z1\",\"name\":\"example.com\"}]",
                "{\"page\":1,\"per_page\":50,\"count\":1,\"total_count\":1,\"total_pages\":1}"));
        server.enqueue(ok("[{\"id\":\"r1\",\"pattern\":\"example.com/*\",\"script\":\"w\"}]"));
        server.enqueue(ok("{\"id\":\"r2\"}"));
        server.enqueue(ok("{\"id\":\"r1\"}"));

        assertThat(client.findZoneId(ACCOUNT, "example.com")).contains("z1");
        assertThat(client.listRoutes(ACCOUNT, "z1")).containsExactly(new WorkerRoute("r1", "example.com/*", "w"));
        assertThat(client.createRoute(ACCOUNT, "z1", "example.com/api/*", "w"))
                .isEqualTo(new WorkerRoute("r2", "example.com/api/*", "w"));
        client.deleteRoute(ACCOUNT, "z1", "r1");

        expect("GET", "/zones?name=example.com&account.id=" + ACCOUNT + "&per_page=50&page=1");
        expect("GET", "/zones/z1/workers/routes");
        assertThat(body(expect("POST", "/zones/z1/workers/routes")))
                .isEqualTo("{\"pattern\":\"example.com/api/*\",\"script\":\"w\"}");
        expect("DELETE", "/zones/z1/workers/routes/r1");
    }

    @Test
    void pathValuesAreEncodedAsSingleSegments() throws Exception {
        server.enqueue(ok("null"));
        client.deleteSecret(ACCOUNT, "w", "A/B ?");
        assertThat(target(take())).isEqualTo(A + "/workers/scripts/w/secrets/A%2FB%20%3F");
    }

    @Test
    void driftShowsBindingsChangedOrRemovedByHand() throws Exception {
        server.enqueue(ok("{\"bindings\":[{\"name\":\"MY_KV\",\"type\":\"kv_namespace\",\"namespace_id\":\"kv-other\"},"
                + "{\"name\":\"API_KEY\",\"type\":\"secret_text\"},{\"name\":\"EXTRA\",\"type\":\"plain_text\",\"text\":\"x\"}]}"));
        List<Binding> desired = List.of(new Binding.KvNamespace("MY_KV", "kv1"), new Binding.SecretText("API_KEY", "s"),
                new Binding.D1("DB", "u1"));

        BindingDrift drift = BindingDrift.between(desired, client.getSettings(ACCOUNT, "w").bindings());

        assertThat(drift.missing()).containsExactly(new Binding.D1("DB", "u1"));
        assertThat(drift.changed()).containsExactly(new Binding.KvNamespace("MY_KV", "kv1"));
        assertThat(drift.unexpected()).extracting(Binding::name).containsExactly("EXTRA");
        assertThat(BindingDrift.between(List.of(new Binding.SecretText("K", "v")),
                List.of(new Binding.SecretText("K", null))).none()).isTrue();
    }

    @Test
    void failedCreateThatActuallyLandedIsFoundInsteadOfCreatedTwice() throws Exception {
        server.enqueue(ok("[]", "{\"page\":1,\"per_page\":100,\"total_pages\":1}"));
        server.enqueue(failure(502, 10002, "internal error"));
        server.enqueue(ok("[{\"id\":\"kv9\",\"title\":\"w-cache\"}]", "{\"page\":1,\"per_page\":100,\"total_pages\":1}"));

        assertThat(client.findOrCreateKvNamespace(ACCOUNT, "w-cache").id()).isEqualTo("kv9");
        expect("GET", A + "/storage/kv/namespaces?order=title&direction=asc&per_page=100&page=1");
        expect("POST", A + "/storage/kv/namespaces");
        expect("GET", A + "/storage/kv/namespaces?order=title&direction=asc&per_page=100&page=1");
        assertThat(server.getRequestCount()).isEqualTo(3);
    }

    static WorkerUpload upload() {
        return upload(null);
    }

    /** The same with a {@code workers/message} annotation (null: none). */
    static WorkerUpload upload(String message) {
        return WorkerUpload.builder("index.js")
                .module("index.js", ModuleType.ESM, "export default {}".getBytes(StandardCharsets.UTF_8))
                .module("python.wasm", ModuleType.COMPILED_WASM, new byte[] {0, 'a', 's', 'm'})
                .binding(new Binding.DurableObjectNamespace("PYTHON_DO", "PythonDO"))
                .migrations(List.of(MigrationStep.newSqliteClasses("v1", "PythonDO")))
                .compatibilityDate("2025-04-01")
                .annotations(message, null)
                .build();
    }
}
