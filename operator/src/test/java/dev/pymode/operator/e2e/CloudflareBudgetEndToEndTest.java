package dev.pymode.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pymode.operator.api.v1alpha1.worker.CloudflareTarget;
import dev.pymode.operator.api.v1alpha1.worker.KvBinding;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorker;
import dev.pymode.operator.api.v1alpha1.worker.Rollout;
import dev.pymode.operator.api.v1alpha1.worker.WorkerBindings;
import dev.pymode.operator.status.Conditions;
import dev.pymode.operator.support.Edge;
import dev.pymode.operator.support.EndToEndResource;
import dev.pymode.operator.support.Namespaces;
import dev.pymode.operator.support.Ready;
import dev.pymode.operator.support.Standin;
import dev.pymode.operator.support.Workers;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Issue #18: Cloudflare calls as a budget. One worker with a KV binding against the stand-in, checked from the
 * stand-in's request log: a resync of the unchanged worker makes no call of its own; changes made behind the
 * operator's back (an added secret, a deleted script) are seen through the shared account listing and undone;
 * a worker whose status was lost takes its script over without an upload. The tests build on one another.
 */
@QuarkusTest
@QuarkusTestResource(value = EndToEndResource.class, restrictToAnnotatedClass = true)
@Tag("e2e")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CloudflareBudgetEndToEndTest {

    private static final String NS = "e2e-budget";
    private static final String NAME = "budget-worker";
    private static final Duration READY_TIMEOUT = Duration.ofMinutes(10);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SCRIPT_PATH = "/accounts/" + EndToEndResource.ACCOUNT + "/workers/scripts/" + NAME;
    private static int pokes;

    @Inject
    KubernetesClient client;

    private PyModeWorker get() {
        return client.resources(PyModeWorker.class).inNamespace(NS).withName(NAME).get();
    }

    private PyModeWorker ready() {
        return Ready.await(client, PyModeWorker.class, NS, NAME, READY_TIMEOUT);
    }

    /**
     * Makes the operator reconcile the worker once more without changing it ({@link Workers#poke}), after the
     * shared listing's 2 s interval.
     */
    private void poke() throws Exception {
        Thread.sleep(2500);
        Workers.poke(client, NS, NAME, "poke-" + ++pokes);
        Thread.sleep(4000);
    }

    private static JsonNode listedScript() throws Exception {
        return listedScript(NAME);
    }

    private static JsonNode listedScript(String name) throws Exception {
        for (JsonNode s : JSON.readTree(Standin.api("/accounts/" + EndToEndResource.ACCOUNT + "/workers/scripts")
                .body()).path("result")) {
            if (name.equals(s.path("id").asText())) {
                return s;
            }
        }
        return null;
    }

    private List<String> eventReasons() {
        return client.v1().events().inNamespace(NS).list().getItems().stream()
                .filter(e -> NAME.equals(e.getInvolvedObject().getName())).map(e -> e.getReason()).toList();
    }

    @Test
    @Order(1)
    void aDeployedScriptCarriesTheDigestOfItsUpload() throws Exception {
        Namespaces.ensure(client, NS);
        var kv = new KvBinding();
        kv.setName("CACHE");
        kv.setNamespace("budget-cache");
        var bindings = new WorkerBindings();
        bindings.getKv().add(kv);
        PyModeWorker worker = Workers.inline(NS, NAME, """
                from pymode.workers import Response

                def on_fetch(request, env):
                    if request.path == "/stdlib":
                        # not loaded before the handler: read from static assets, through the shared script
                        import difflib
                        return Response(difflib.__file__)
                    return Response("budget")
                """);
        worker.getSpec().setBindings(bindings);
        Standin.requestsAndClear();
        client.resource(worker).create();
        PyModeWorker deployed = ready();
        List<String> requests = Standin.requestsAndClear();

        String digest = deployed.getStatus().getDeployment().getUploadDigest();
        JsonNode script = listedScript();
        assertThat(script).isNotNull();
        List<String> tags = new ArrayList<>();
        script.path("tags").forEach(t -> tags.add(t.asText()));
        assertThat(tags).containsExactly("pymode-upload=" + digest.substring("sha256:".length()));
        // recorded from the upload's answer (modified_on, deployment_id): a new script costs its PUT and workers.dev.
        // Its static assets (the stdlib beyond the start, bundle.json `assets`) are the account's shared assets script,
        // which the worker binds as a service: uploaded by the account's first worker with these files.
        assertThat(deployed.getStatus().getDeployment().getObservedModifiedOn())
                .isEqualTo(script.path("modified_on").asText());
        JsonNode deployments = JSON.readTree(Standin.api(SCRIPT_PATH + "/deployments").body()).path("result");
        assertThat(deployed.getStatus().getDeployment().getVersionId())
                .isEqualTo(deployments.path("deployments").get(0).path("versions").get(0).path("version_id").asText());
        assertThat(requests.stream().filter(r -> r.contains(NAME)).toList()).as("the worker's own calls")
                .containsExactly("PUT " + SCRIPT_PATH, "POST " + SCRIPT_PATH + "/subdomain");
        String assetsScript = deployed.getStatus().getDeployment().getAssetsScript();
        assertThat(assetsScript).startsWith("pymode-assets-");
        assertThat(listedScript(assetsScript)).as("the shared assets script is in the account").isNotNull();
        String url = deployed.getStatus().getDeployment().getUrl().replaceAll("/$", "") + "/stdlib";
        HttpResponse<String> lazy = Edge.send(EndToEndResource.cloudflare.baseUrl(), url, "GET", null);
        assertThat(lazy.statusCode()).as(lazy.body()).isEqualTo(200);
        assertThat(lazy.body()).as("its __file__ as in the zip").endsWith("/difflib.pyc");
        JsonNode settingsBindings = JSON.readTree(Standin.api(SCRIPT_PATH + "/settings").body()).path("result")
                .path("bindings");
        List<String> assetBindings = new ArrayList<>();
        settingsBindings.forEach(b -> {
            if ("PYMODE_ASSETS".equals(b.path("name").asText())) {
                assetBindings.add(b.path("type").asText() + " " + b.path("service").asText());
            }
        });
        assertThat(assetBindings).containsExactly("service " + assetsScript);
    }

    @Test
    @Order(2)
    void aResyncOfAnUnchangedWorkerMakesNoCallOfItsOwn() throws Exception {
        ready();
        Standin.requestsAndClear();
        poke();
        poke();
        List<String> requests = Standin.requestsAndClear();
        // the reconciles ran: each read the account's script listing again (its 2 s had passed) ...
        assertThat(requests).as("shared listing reads").contains("GET /accounts/" + EndToEndResource.ACCOUNT
                + "/workers/scripts");
        // ... and nothing else: no per-script read, no write, no per-worker resource lookup
        assertThat(requests).allSatisfy(r -> assertThat(r).startsWith("GET ").doesNotContain(NAME));
        assertThat(Conditions.find(get().getStatus().getConditions(), "Deployed").orElseThrow().getReason())
                .isEqualTo("UpToDate");
    }

    @Test
    @Order(3)
    void aBindingAddedBehindTheOperatorsBackIsTakenAway() throws Exception {
        String version = ready().getStatus().getDeployment().getVersionId();
        var put = Standin.api("PUT", SCRIPT_PATH + "/secrets",
                Map.of("type", "secret_text", "name", "ROGUE", "text", "added by hand"));
        assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
        // no poke: the periodic account listing (every 2 s here) sees the new modified_on and wakes the worker
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
            assertThat(eventReasons()).contains("DriftDetected");
            JsonNode settings = JSON.readTree(Standin.api(SCRIPT_PATH + "/settings").body()).path("result");
            List<String> names = new ArrayList<>();
            settings.path("bindings").forEach(b -> names.add(b.path("name").asText()));
            assertThat(names).contains("CACHE").doesNotContain("ROGUE");
            assertThat(get().getStatus().getDeployment().getVersionId()).isNotEqualTo(version);
        });
    }

    @Test
    @Order(4)
    void aScriptDeletedBehindTheOperatorsBackIsDeployedAgain() throws Exception {
        ready();
        assertThat(Standin.api("DELETE", SCRIPT_PATH, null).statusCode()).isEqualTo(200);
        assertThat(listedScript()).isNull();
        // no poke: the account listing no longer shows the script, which wakes its worker
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1))
                .untilAsserted(() -> assertThat(listedScript()).isNotNull());
        // the script is back as soon as its upload is done; the status records it when the whole pass is
        await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                assertThat(ready().getStatus().getDeployment().getObservedModifiedOn())
                        .isEqualTo(listedScript().path("modified_on").asText()));
    }

    @Test
    @Order(5)
    void aWorkerWhoseStatusWasLostTakesItsScriptOverWithoutAnUpload() throws Exception {
        PyModeWorker before = ready();
        String version = before.getStatus().getDeployment().getVersionId();
        Standin.requestsAndClear();
        // as after a restore or a re-apply into a new cluster: the resource is there, its status is not
        client.resources(PyModeWorker.class).inNamespace(NS).withName(NAME).editStatus(w -> {
            w.getStatus().setDeployment(null);
            return w;
        });
        poke();
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
            PyModeWorker w = get();
            assertThat(w.getStatus().getDeployment()).isNotNull();
            assertThat(w.getStatus().getDeployment().getVersionId()).isEqualTo(version);
        });
        assertThat(eventReasons()).contains("Adopted");
        List<String> requests = Standin.requestsAndClear();
        assertThat(requests).as("script uploads").doesNotContain("PUT " + SCRIPT_PATH);
        assertThat(requests).noneMatch(r -> r.startsWith("POST " + SCRIPT_PATH + "/versions"));
        assertThat(requests).noneMatch(r -> r.startsWith("POST " + SCRIPT_PATH + "/deployments"));
        // it read what it compares (settings, deployments, workers.dev) and wrote nothing, so the script listing it
        // recorded modified_on from is the account's shared one, not one of its own (WorkerAdoptionTest counts them)
        List<String> own = requests.stream().filter(r -> r.contains(SCRIPT_PATH)).toList();
        assertThat(own).as("the worker's own calls").allMatch(r -> r.startsWith("GET "))
                .contains("GET " + SCRIPT_PATH + "/settings", "GET " + SCRIPT_PATH + "/deployments",
                        "GET " + SCRIPT_PATH + "/subdomain");
    }

    @Test
    @Order(6)
    void aNewCompatibilityDateDeploysTheSameBundleAgainWithoutABuild() throws Exception {
        PyModeWorker before = ready();
        String artifact = before.getStatus().getArtifact().getDigest();
        String version = before.getStatus().getDeployment().getVersionId();
        Standin.requestsAndClear();
        client.resources(PyModeWorker.class).inNamespace(NS).withName(NAME).edit(w -> {
            if (w.getSpec().getCloudflare() == null) {
                w.getSpec().setCloudflare(new CloudflareTarget());
            }
            w.getSpec().getCloudflare().setCompatibilityDate("2025-06-01");
            return w;
        });
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
            PyModeWorker w = get();
            assertThat(w.getStatus().getObservedGeneration()).isEqualTo(w.getMetadata().getGeneration());
            assertThat(w.getStatus().getDeployment().getVersionId()).isNotEqualTo(version);
        });
        // at 100% one PUT uploads, deploys and tags the existing script (the versions path would take three calls);
        // workers.dev is not read again: the last pass published the script there
        assertThat(Standin.requestsAndClear().stream().filter(r -> r.contains(NAME)).toList())
                .as("the worker's own calls")
                .containsExactly("PUT " + SCRIPT_PATH);
        assertThat(get().getStatus().getArtifact().getDigest()).as("the same bundle").isEqualTo(artifact);
        JsonNode settings = JSON.readTree(Standin.api(SCRIPT_PATH + "/settings").body()).path("result");
        assertThat(settings.path("compatibility_date").asText()).isEqualTo("2025-06-01");
        List<String> tags = new ArrayList<>();
        listedScript().path("tags").forEach(t -> tags.add(t.asText()));
        String digest = get().getStatus().getDeployment().getUploadDigest();
        assertThat(tags).containsExactly("pymode-upload=" + digest.substring("sha256:".length()));
    }

    /**
     * At fleet size the budget runs out between an upload and the calls that follow it (tagging, workers.dev,
     * routes, crons). The upload is recorded at once, so the next attempt finishes that deployment instead of
     * uploading it again. A gradual rollout takes the versions path, whose version is tagged after its deployment.
     */
    @Test
    @Order(7)
    void aDeployRefusedAfterItsUploadIsFinishedWithoutAnotherUpload() throws Exception {
        PyModeWorker before = ready();
        String version = before.getStatus().getDeployment().getVersionId();
        Standin.requestsAndClear();
        // the call right after a version is deployed (tagging the script with the upload's digest) hits a 429
        var fault = Standin.admin("POST", "/__standin/faults", Map.of("method", "PATCH", "path", SCRIPT_PATH
                + "/script-settings", "status", 429, "retry_after", 1, "count", 1));
        assertThat(fault.statusCode()).as(fault.body()).isEqualTo(200);
        client.resources(PyModeWorker.class).inNamespace(NS).withName(NAME).edit(w -> {
            w.getSpec().getCloudflare().setCompatibilityDate("2025-07-01");
            var rollout = new Rollout();
            rollout.setPercentage(50);
            w.getSpec().getCloudflare().setRollout(rollout);
            return w;
        });
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
            PyModeWorker w = get();
            assertThat(w.getStatus().getObservedGeneration()).isEqualTo(w.getMetadata().getGeneration());
            assertThat(Conditions.find(w.getStatus().getConditions(), "Deployed").orElseThrow().getStatus())
                    .isEqualTo("True");
            assertThat(w.getStatus().getDeployment().getVersionId()).isNotEqualTo(version);
        });
        assertThat(Standin.adminJson("/__standin/faults").path("faults").get(0).path("hits").asInt())
                .as("the injected 429 was answered").isEqualTo(1);
        List<String> requests = Standin.requestsAndClear();
        assertThat(requests.stream().filter(r -> r.startsWith("POST " + SCRIPT_PATH + "/versions")).count())
                .as("version uploads").isEqualTo(1);
        assertThat(requests).doesNotContain("PUT " + SCRIPT_PATH);
        assertThat(requests.stream().filter(r -> r.equals("PATCH " + SCRIPT_PATH + "/script-settings")).count())
                .as("the refused tagging and the one that set the tag").isEqualTo(2);
        String digest = get().getStatus().getDeployment().getUploadDigest();
        List<String> tags = new ArrayList<>();
        listedScript().path("tags").forEach(t -> tags.add(t.asText()));
        assertThat(tags).containsExactly("pymode-upload=" + digest.substring("sha256:".length()));
    }

    @TestHTTPResource("/q/metrics")
    URL metrics;

    /** The domain metrics the chart's dashboard and alerts read (dev.pymode.operator.metrics.OperatorMetrics). */
    @Test
    @Order(8)
    void theDomainMetricsCountWhatHappened() throws Exception {
        String text = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(metrics.toString())).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertThat(text).containsPattern("pymode_cloudflare_requests_seconds_count\\{[^}]*operation=\"GET workers/scripts\""
                + "[^}]*status=\"200\"[^}]*} [1-9]");
        assertThat(text).containsPattern("pymode_cloudflare_requests_seconds_count\\{[^}]*operation=\"PUT workers/scripts/\\{script}\"");
        assertThat(text).containsPattern("pymode_build_artifacts_total\\{[^}]*kind=\"PyModeWorker\"[^}]*source=\"build\"[^}]*} [1-9]");
        // the Java Operator SDK's per-controller reconcile metrics, which the dashboard and alerts read as well
        assertThat(text).containsPattern("reconciliations_started_total\\{[^}]*controller_name=\"pymodeworker\"[^}]*} [1-9]");
        assertThat(text).contains("reconciliations_queue{controller_name=\"pymodeworker\"}");
        assertThat(text).containsPattern("pymode_build_duration_seconds_bucket\\{[^}]*kind=\"PyModeWorker\"[^}]*result=\"succeeded\"");
    }
}
