package dev.pymode.operator.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pymode.devenv.LocalCloudflare;
import dev.pymode.operator.api.v1alpha1.common.ArtifactReference;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorker;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorkerSpec;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorkerStatus;
import dev.pymode.operator.api.v1alpha1.worker.WorkerBindings;
import dev.pymode.operator.status.StageResult;
import dev.pymode.operator.support.RecordingEvents;
import dev.pymode.operator.support.StandinRequests;
import dev.pymode.operator.workflow.ScheduleEntry;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issues #13 and #18: a bundle with static assets deploys through the Deployed stage against the Cloudflare stand-in;
 * the files go to the account's shared assets script once ({@link SharedAssetsScript}), and the Worker reads an asset
 * through its binding of that script in workerd. Hand-made bundles (a JS worker module plus files under assets/), so
 * no runtime build is needed; calls counted from the stand-in's request log.
 */
class WorkerAssetsDeployTest {

    private static final String ACCOUNT = "0123456789abcdef0123456789abcdef";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String DECODER = "/__pymode/stdlib/json/decoder.py";
    private static final String DECODER_SOURCE = "class JSONDecoder:\n    pass\n";
    /** Answers the asset at ?path= (default: the decoder) through the binding the bundle declares. */
    private static final String WORKER_JS = """
            export default {
              async fetch(request, env) {
                const path = new URL(request.url).searchParams.get("path") ?? "%s";
                const r = await env[env.ASSETS_NAME ?? "PYMODE_ASSETS"].fetch("https://assets" + path);
                return new Response(await r.text(), { status: r.status });
              },
            };
            """.formatted(DECODER);

    private static LocalCloudflare cloudflare;
    private static StandinDeployStage standin;
    private static final Map<String, BundleStore.Bundle> BUNDLES = new LinkedHashMap<>();
    private static final List<String> EVENTS = new ArrayList<>();
    private static WorkerDeployStage stage;

    @BeforeAll
    static void startStandin() throws Exception {
        standin = StandinDeployStage.start(ACCOUNT, "assets-token", BUNDLES::get,
                new RecordingEvents(EVENTS, (resource, type, reason, message) -> reason + ": " + message));
        cloudflare = standin.cloudflare();
        stage = standin.stage();
    }

    @AfterAll
    static void stopStandin() throws Exception {
        standin.close();
    }

    /** A bundle: worker.js plus {@code assets} files under assets/, declared with the given counts. */
    private static String bundle(String binding, Map<String, String> assets, Integer declaredFiles) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("worker.js", WORKER_JS.getBytes(StandardCharsets.UTF_8));
        long size = 0;
        for (var e : assets.entrySet()) {
            byte[] content = e.getValue().getBytes(StandardCharsets.UTF_8);
            files.put("assets" + e.getKey(), content);
            size += content.length;
        }
        ObjectNode manifest = JSON.createObjectNode().put("format", "pymode-bundle/1").put("main_module", "worker.js")
                .put("compatibility_date", "2025-04-01");
        manifest.putArray("modules").addObject().put("name", "worker.js").put("type", "esm");
        ObjectNode declared = manifest.putObject("assets").put("directory", "assets").put("binding", binding)
                .put("files", declaredFiles == null ? assets.size() : declaredFiles).put("size", size);
        declared.putObject("config").put("run_worker_first", true);
        String digest = "sha256:" + String.format("%064x", BUNDLES.size() + 1);
        files.put("bundle.json", manifest.toString().getBytes(StandardCharsets.UTF_8));
        BUNDLES.put(digest, new BundleStore.Bundle(digest, files, manifest));
        return digest;
    }

    private static Map<String, String> stdlib() {
        Map<String, String> assets = new LinkedHashMap<>();
        assets.put(DECODER, DECODER_SOURCE);
        assets.put("/__pymode/stdlib/json/__init__.py", "from .decoder import JSONDecoder\n");
        for (int i = 0; i < 120; i++) {
            assets.put("/__pymode/stdlib/mod" + i + ".py", "X = " + i + "\n");
        }
        return assets;
    }

    private static PyModeWorker worker(String name, String bundleDigest) {
        var worker = new PyModeWorker();
        worker.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace("assets-test").withGeneration(1L).build());
        var spec = new PyModeWorkerSpec();
        spec.setBindings(new WorkerBindings());
        worker.setSpec(spec);
        var status = new PyModeWorkerStatus();
        var artifact = new ArtifactReference();
        artifact.setRef("127.0.0.1:5000/pymode/bundles@" + bundleDigest);
        artifact.setDigest(bundleDigest);
        status.setArtifact(artifact);
        worker.setStatus(status);
        return worker;
    }

    private static StageResult deploy(PyModeWorker worker) {
        return stage.run(worker, worker.getStatus(), List.of());
    }

    /** The calls since the last look that concern {@code script}, the shared assets scripts or the account's assets. */
    private static List<String> calls(String script) throws Exception {
        return StandinRequests.since(cloudflare, ACCOUNT).stream()
                .filter(c -> c.contains("/scripts/" + script) || c.contains("/scripts/" + SharedAssetsScript.PREFIX)
                        || c.contains("/workers/assets/")).toList();
    }

    /** The calls since the last look that concern {@code script} alone. */
    private static List<String> ownCalls(String script) throws Exception {
        return StandinRequests.since(cloudflare, ACCOUNT).stream().filter(c -> c.contains("/scripts/" + script)).toList();
    }

    /** The shared assets script of a bundle. */
    private static String shared(String bundleDigest) {
        return WorkerUploadFactory.sharedAssets(BUNDLES.get(bundleDigest)).orElseThrow().script();
    }

    private static HttpResponse<String> get(String script, String path) throws Exception {
        JsonNode admin = JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(cloudflare.baseUrl() + "/__standin/scripts"))
                .build(), HttpResponse.BodyHandlers.ofString()).body());
        for (JsonNode s : admin.path("scripts")) {
            if (script.equals(s.path("script").asText())) {
                String url = s.path("url").asText() + (path == null ? "" : "?path=" + path);
                return HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
            }
        }
        throw new AssertionError("script " + script + " is not deployed");
    }

    @Test
    void aBundleWithAssetsDeploysAndItsWorkerReadsThemThroughTheBinding() throws Exception {
        String digest = bundle("PYMODE_ASSETS", stdlib(), null);
        PyModeWorker first = worker("assets-first", digest);
        StandinRequests.since(cloudflare, ACCOUNT);

        StageResult result = deploy(first);
        assertThat(result.reason()).as(result.message()).isEqualTo("Deployed");
        // the account's first worker with these files: the shared script's session, one upload per bucket (122 files:
        // 2 buckets of at most 100) and its PUT, then the worker's own PUT and workers.dev
        String shared = shared(digest);
        assertThat(calls("assets-first")).containsExactly(
                "POST /workers/scripts/" + shared + "/assets-upload-session",
                "POST /workers/assets/upload",
                "POST /workers/assets/upload",
                "PUT /workers/scripts/" + shared,
                "POST /workers/scripts/" + shared + "/subdomain",
                "PUT /workers/scripts/assets-first",
                "POST /workers/scripts/assets-first/subdomain");
        assertThat(first.getStatus().getDeployment().getAssetsScript()).isEqualTo(shared);
        HttpResponse<String> answer = get("assets-first", null);
        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.body()).isEqualTo(DECODER_SOURCE);
        assertThat(get("assets-first", "/__pymode/stdlib/mod7.py").body()).isEqualTo("X = 7\n");

        // unchanged: the steady state makes no call at all, the assets included
        assertThat(deploy(first).reason()).isEqualTo("UpToDate");
        assertThat(calls("assets-first")).isEmpty();

        // a second worker of the account with the same stdlib: the shared script serves it, so its PUT and
        // workers.dev only (no assets session of its own)
        PyModeWorker second = worker("assets-second", digest);
        assertThat(deploy(second).reason()).isEqualTo("Deployed");
        assertThat(calls("assets-second")).containsExactly(
                "PUT /workers/scripts/assets-second",
                "POST /workers/scripts/assets-second/subdomain");
        assertThat(get("assets-second", null).body()).isEqualTo(DECODER_SOURCE);

        // a new bundle for the first worker (one file changed): another shared script (its session, one small
        // upload, its PUT), then the worker's PUT (at 100%); the second worker still reads the old one
        Map<String, String> changed = stdlib();
        changed.put(DECODER, "class JSONDecoder:\n    version = 2\n");
        String changedDigest = bundle("PYMODE_ASSETS", changed, null);
        PyModeWorker updated = worker("assets-first", changedDigest);
        updated.getStatus().setDeployment(first.getStatus().getDeployment());
        assertThat(deploy(updated).reason()).isEqualTo("Deployed");
        String changedShared = shared(changedDigest);
        assertThat(changedShared).isNotEqualTo(shared);
        assertThat(calls("assets-first")).containsExactly(
                "POST /workers/scripts/" + changedShared + "/assets-upload-session",
                "POST /workers/assets/upload",
                "PUT /workers/scripts/" + changedShared,
                "POST /workers/scripts/" + changedShared + "/subdomain",
                "PUT /workers/scripts/assets-first");
        assertThat(get("assets-first", null).body()).isEqualTo("class JSONDecoder:\n    version = 2\n");
        assertThat(get("assets-second", null).body()).isEqualTo(DECODER_SOURCE);
    }

    /**
     * A new worker's calls when a workflow schedules it: its cron triggers are set without being read first (a new
     * script has none); a later change of schedule reads them, as something else may have set them since.
     */
    @Test
    void aNewScheduledWorkerSetsItsCronTriggersWithoutReadingThem() throws Exception {
        PyModeWorker worker = worker("assets-scheduled",
                bundle("PYMODE_ASSETS", Map.of("/__pymode/stdlib/sched.py", "s\n"), null));
        var nightly = new ScheduleEntry("0 3 * * *", "report", "assets-test/nightly", null, null, null);
        StandinRequests.since(cloudflare, ACCOUNT);

        assertThat(stage.run(worker, worker.getStatus(), List.of(nightly)).reason()).isEqualTo("Deployed");
        assertThat(ownCalls("assets-scheduled")).containsExactly(
                "PUT /workers/scripts/assets-scheduled",
                "POST /workers/scripts/assets-scheduled/subdomain",
                "PUT /workers/scripts/assets-scheduled/schedules");
        assertThat(crons("assets-scheduled")).containsExactly("0 3 * * *");

        var hourly = new ScheduleEntry("0 * * * *", "report", "assets-test/nightly", null, null, null);
        assertThat(stage.run(worker, worker.getStatus(), List.of(hourly)).reason()).isEqualTo("Deployed");
        assertThat(ownCalls("assets-scheduled")).containsExactly(
                "PUT /workers/scripts/assets-scheduled",
                "GET /workers/scripts/assets-scheduled/schedules",
                "PUT /workers/scripts/assets-scheduled/schedules");
        assertThat(crons("assets-scheduled")).containsExactly("0 * * * *");
    }

    private static List<String> crons(String script) throws Exception {
        var get = HTTP.send(HttpRequest.newBuilder(URI.create(cloudflare.apiUrl() + "/accounts/" + ACCOUNT
                        + "/workers/scripts/" + script + "/schedules")).header("Authorization", "Bearer assets-token")
                .build(), HttpResponse.BodyHandlers.ofString());
        List<String> crons = new ArrayList<>();
        JSON.readTree(get.body()).path("result").path("schedules").forEach(c -> crons.add(c.path("cron").asText()));
        StandinRequests.since(cloudflare, ACCOUNT); // this read is the test's, not the stage's
        return crons;
    }

    /**
     * The shared script deleted by hand: the next listing no longer shows it, so its worker's next pass is no steady
     * state; it uploads the script again (the account still holds the files) and its worker reads them again.
     */
    @Test
    void aSharedAssetsScriptDeletedByHandIsPutBack() throws Exception {
        Map<String, String> files = new LinkedHashMap<>();
        files.put("/__pymode/stdlib/gone.py", "back = True\n");
        String digest = bundle("PYMODE_ASSETS", files, null);
        PyModeWorker worker = worker("assets-restored", digest);
        assertThat(deploy(worker).reason()).isEqualTo("Deployed");
        String shared = shared(digest);
        assertThat(get("assets-restored", "/__pymode/stdlib/gone.py").body()).isEqualTo("back = True\n");

        var deleted = HTTP.send(HttpRequest.newBuilder(URI.create(cloudflare.apiUrl() + "/accounts/" + ACCOUNT
                + "/workers/scripts/" + shared)).header("Authorization", "Bearer assets-token").DELETE().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(deleted.statusCode()).as(deleted.body()).isEqualTo(200);
        assertThat(get("assets-restored", "/__pymode/stdlib/gone.py").statusCode()).as("its binding has no script")
                .isNotEqualTo(200);
        standin.inventory(worker).forget(); // as the next listing interval would
        StandinRequests.since(cloudflare, ACCOUNT);

        StageResult result = deploy(worker);
        assertThat(result.reason()).as(result.message()).isEqualTo("UpToDate");
        assertThat(calls("assets-restored")).as("the shared script again, then the worker verified").containsSubsequence(
                "POST /workers/scripts/" + shared + "/assets-upload-session",
                "PUT /workers/scripts/" + shared,
                "GET /workers/scripts/assets-restored/settings");
        assertThat(get("assets-restored", "/__pymode/stdlib/gone.py").body()).isEqualTo("back = True\n");
    }

    @Test
    void assetsThatDisagreeWithBundleJsonStallTheWorkerWithoutACall() throws Exception {
        PyModeWorker worker = worker("assets-miscounted", bundle("PYMODE_ASSETS", Map.of("/a.py", "a\n"), 454));
        StandinRequests.since(cloudflare, ACCOUNT);
        StageResult result = deploy(worker);
        assertThat(result.outcome()).isEqualTo(StageResult.Outcome.FAILED_TERMINAL);
        assertThat(result.reason()).isEqualTo(BundleAssets.INVALID);
        assertThat(result.message()).contains("assets.files says 454 but the bundle holds 1 files");
        assertThat(calls("assets-miscounted")).isEmpty();
    }

    @Test
    void aSpecBindingNamedLikeTheAssetsBindingIsRefused() throws Exception {
        PyModeWorker worker = worker("assets-clash", bundle("STATIC", Map.of("/a.py", "a\n"), null));
        worker.getSpec().getBindings().getVars().put("STATIC", "mine");
        StageResult result = deploy(worker);
        assertThat(result.outcome()).isEqualTo(StageResult.Outcome.FAILED_TERMINAL);
        assertThat(result.reason()).isEqualTo(WorkerUploadFactory.BINDING_NAME_CLASH);
        assertThat(result.message()).contains("binds its static assets as STATIC");
        assertThat(EVENTS).anyMatch(e -> e.startsWith("BindingNameClash: "));
    }

    @Test
    void aFailedAssetsUploadIsItsOwnReasonAndRetried() throws Exception {
        PyModeWorker worker = worker("assets-flaky", bundle("PYMODE_ASSETS", Map.of("/flaky.py", "flaky\n"), null));
        uploadFault("\"count\":4,\"status\":503");
        StageResult failed = deploy(worker);
        assertThat(failed.outcome()).isEqualTo(StageResult.Outcome.FAILED_TRANSIENT);
        assertThat(failed.reason()).isEqualTo(WorkerDeployStage.ASSETS_UPLOAD_FAILED);
        assertThat(failed.message()).startsWith("POST workers/assets/upload: HTTP 503");
        assertThat(calls("assets-flaky")).doesNotContain("PUT /workers/scripts/assets-flaky");

        StageResult retried = deploy(worker);
        assertThat(retried.reason()).as(retried.message()).isEqualTo("Deployed");
        assertThat(get("assets-flaky", "/flaky.py").body()).isEqualTo("flaky\n");
        assertThat(EVENTS).noneMatch(e -> e.contains("jwt"));
    }

    /**
     * A bucket upload refused with 401 (its session's token spent: the repeat of an upload whose answer was lost, as
     * a 1,000-worker converge met, where the worker stalled) starts over in a new session within the pass.
     */
    @Test
    void aBucketUploadRefusedForItsSessionTokenIsNeverAStall() throws Exception {
        String digest = bundle("PYMODE_ASSETS", Map.of("/spent.py", "spent\n"), null);
        PyModeWorker worker = worker("assets-spent", digest);
        // the upload completes the session, its answer is lost (502); the client's repeat meets the spent token
        uploadFault("\"status\":502,\"after\":true");
        StandinRequests.since(cloudflare, ACCOUNT);

        assertThat(deploy(worker).reason()).isEqualTo("Deployed");
        String shared = shared(digest);
        assertThat(calls("assets-spent")).as("a second session after the spent token's 401, which needs no upload")
                .containsSubsequence("POST /workers/scripts/" + shared + "/assets-upload-session",
                        "POST /workers/scripts/" + shared + "/assets-upload-session", "PUT /workers/scripts/" + shared,
                        "PUT /workers/scripts/assets-spent");
        assertThat(get("assets-spent", "/spent.py").body()).isEqualTo("spent\n");
    }

    /**
     * The shared script's PUT takes effect but its answer is lost (502): the client's repeat carries the completion
     * token the first attempt spent and is refused; a listing read then shows the script, so the worker deploys (a
     * 1,000-worker converge stalled a worker on exactly this, with the token in the worker's own upload).
     */
    @Test
    void aSharedScriptWhoseUploadAnswerWasLostIsFoundInAFreshListing() throws Exception {
        String digest = bundle("PYMODE_ASSETS", Map.of("/__pymode/stdlib/lost.py", "lost = False\n"), null);
        PyModeWorker worker = worker("assets-lost-answer", digest);
        fault("PUT", "/accounts/*/workers/scripts/" + SharedAssetsScript.PREFIX + "*", "\"status\":502,\"after\":true");
        StandinRequests.since(cloudflare, ACCOUNT);

        StageResult result = deploy(worker);
        assertThat(result.reason()).as(result.message()).isEqualTo("Deployed");
        String shared = shared(digest);
        List<String> calls = StandinRequests.since(cloudflare, ACCOUNT).stream().filter(c -> c.contains("/scripts/")
                || c.equals("GET /workers/scripts")).toList();
        assertThat(calls).as("the repeat refused, then a listing").containsSubsequence(
                "PUT /workers/scripts/" + shared,
                "PUT /workers/scripts/" + shared,
                "GET /workers/scripts",
                "POST /workers/scripts/" + shared + "/subdomain",
                "PUT /workers/scripts/assets-lost-answer");
        assertThat(get("assets-lost-answer", "/__pymode/stdlib/lost.py").body()).isEqualTo("lost = False\n");
    }

    /** A stand-in fault for the bucket uploads ({@code fields}: the rule's other JSON fields). */
    private static void uploadFault(String fields) throws Exception {
        fault("POST", "/accounts/*/workers/assets/upload", fields);
    }

    private static void fault(String method, String path, String fields) throws Exception {
        var fault = HTTP.send(HttpRequest.newBuilder(URI.create(cloudflare.baseUrl() + "/__standin/faults"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"method\":\"" + method + "\",\"path\":\"" + path + "\","
                        + fields + "}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(fault.statusCode()).as(fault.body()).isEqualTo(200);
    }
}
