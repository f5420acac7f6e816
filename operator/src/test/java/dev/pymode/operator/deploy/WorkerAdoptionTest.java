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
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue #18: workers whose statuses were lost (a restored cluster, a re-apply into a new cluster) take their scripts
 * over through the Deployed stage against the Cloudflare stand-in, and the account's script listing they compare
 * with is the shared one: a fleet adopted at once costs the per-worker verification reads, not a listing per worker.
 * Hand-made JS bundles (no runtime build); calls counted from the stand-in's request log.
 */
class WorkerAdoptionTest {

    private static final String ACCOUNT = "0123456789abcdef0123456789abcdef";
    private static final String LISTING = "GET /workers/scripts";
    private static final int FLEET = 4;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String WORKER_JS = """
            export default { async fetch() { return new Response("adopted"); } };
            """;

    private static LocalCloudflare cloudflare;
    private static StandinDeployStage standin;
    private static BundleStore.Bundle bundle;
    private static final List<String> EVENTS = new ArrayList<>();
    private static WorkerDeployStage stage;

    @BeforeAll
    static void startStandin() throws Exception {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("worker.js", WORKER_JS.getBytes(StandardCharsets.UTF_8));
        ObjectNode manifest = JSON.createObjectNode().put("format", "pymode-bundle/1").put("main_module", "worker.js")
                .put("compatibility_date", "2025-04-01");
        manifest.putArray("modules").addObject().put("name", "worker.js").put("type", "esm");
        files.put("bundle.json", manifest.toString().getBytes(StandardCharsets.UTF_8));
        bundle = new BundleStore.Bundle("sha256:" + "a".repeat(64), files, manifest);
        standin = StandinDeployStage.start(ACCOUNT, "adoption-token", digest -> bundle,
                new RecordingEvents(EVENTS, (resource, type, reason, message) -> resource.getMetadata().getName() + " "
                        + reason));
        cloudflare = standin.cloudflare();
        stage = standin.stage();
    }

    @AfterAll
    static void stopStandin() throws Exception {
        standin.close();
    }

    /** A worker as the API server would hand it over: built (artifact known), with no deployment in its status. */
    private static PyModeWorker withoutDeployment(String name) {
        var worker = new PyModeWorker();
        worker.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace("adoption-test").withGeneration(1L)
                .build());
        var spec = new PyModeWorkerSpec();
        spec.setBindings(new WorkerBindings());
        worker.setSpec(spec);
        var status = new PyModeWorkerStatus();
        var artifact = new ArtifactReference();
        artifact.setRef("127.0.0.1:5000/pymode/bundles@" + bundle.digest());
        artifact.setDigest(bundle.digest());
        status.setArtifact(artifact);
        worker.setStatus(status);
        return worker;
    }

    private static StageResult deploy(PyModeWorker worker) {
        return stage.run(worker, worker.getStatus(), List.of());
    }

    private static String listedModifiedOn(String script) throws Exception {
        var get = HttpRequest.newBuilder(URI.create(cloudflare.apiUrl() + "/accounts/" + ACCOUNT + "/workers/scripts"))
                .header("Authorization", "Bearer " + cloudflare.token()).build();
        for (JsonNode s : JSON.readTree(HTTP.send(get, HttpResponse.BodyHandlers.ofString()).body()).path("result")) {
            if (script.equals(s.path("id").asText())) {
                return s.path("modified_on").asText();
            }
        }
        throw new AssertionError("script " + script + " is not listed");
    }

    @Test
    void aFleetWhoseStatusesWereLostIsAdoptedFromTheSharedListing() throws Exception {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < FLEET; i++) {
            String name = "adopt-" + i;
            names.add(name);
            StageResult first = deploy(withoutDeployment(name));
            assertThat(first.reason()).as(first.message()).isEqualTo("Deployed");
        }
        StandinRequests.since(cloudflare, ACCOUNT);

        // every status lost: each worker reads what it must compare (settings, deployments, workers.dev), no upload
        List<PyModeWorker> adopted = new ArrayList<>();
        for (String name : names) {
            PyModeWorker worker = withoutDeployment(name);
            StageResult result = deploy(worker);
            assertThat(result.reason()).as(result.message()).isEqualTo("Adopted");
            adopted.add(worker);
        }
        List<String> calls = StandinRequests.since(cloudflare, ACCOUNT);
        assertThat(calls).noneMatch(c -> c.startsWith("PUT ") || c.contains("/versions") || c.startsWith("POST "));
        // the account's script listing is the shared one: at most one read (its interval may have run out), not one
        // per worker
        assertThat(calls.stream().filter(LISTING::equals).count()).as("script listings in " + calls).isLessThanOrEqualTo(1);
        for (String name : names) {
            assertThat(calls.stream().filter(c -> c.contains("/scripts/" + name + "/")).toList()).as(name)
                    .containsExactlyInAnyOrder("GET /workers/scripts/" + name + "/settings",
                            "GET /workers/scripts/" + name + "/deployments",
                            "GET /workers/scripts/" + name + "/subdomain");
        }

        // what they recorded is the steady state: the next pass makes no call at all
        for (PyModeWorker worker : adopted) {
            assertThat(worker.getStatus().getDeployment().getObservedModifiedOn())
                    .isEqualTo(listedModifiedOn(worker.getMetadata().getName()));
        }
        StandinRequests.since(cloudflare, ACCOUNT);
        for (PyModeWorker worker : adopted) {
            assertThat(deploy(worker).reason()).isEqualTo("UpToDate");
        }
        assertThat(StandinRequests.since(cloudflare, ACCOUNT)).isEmpty();
    }

    @Test
    void anAdoptionThatWritesComparesWithAListingReadAfterItsWrite() throws Exception {
        String name = "adopt-dev-off";
        assertThat(deploy(withoutDeployment(name)).reason()).isEqualTo("Deployed");
        // workers.dev switched off by hand: the adopting pass switches it on again, which may move modified_on
        var off = HttpRequest.newBuilder(URI.create(cloudflare.apiUrl() + "/accounts/" + ACCOUNT + "/workers/scripts/"
                        + name + "/subdomain")).header("Authorization", "Bearer " + cloudflare.token())
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"enabled\":false}")).build();
        assertThat(HTTP.send(off, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        StandinRequests.since(cloudflare, ACCOUNT);

        PyModeWorker worker = withoutDeployment(name);
        assertThat(deploy(worker).reason()).isEqualTo("Adopted");
        List<String> calls = StandinRequests.since(cloudflare, ACCOUNT);
        assertThat(calls).containsSubsequence("POST /workers/scripts/" + name + "/subdomain", LISTING);
        assertThat(worker.getStatus().getDeployment().getObservedModifiedOn()).isEqualTo(listedModifiedOn(name));
        assertThat(deploy(worker).reason()).isEqualTo("UpToDate");
    }
}
