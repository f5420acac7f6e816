package dev.pymode.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.pymode.operator.api.v1alpha1.common.LocalObjectReference;
import dev.pymode.operator.api.v1alpha1.common.PyModeStatus;
import dev.pymode.operator.api.v1alpha1.common.SecretKeyReference;
import dev.pymode.operator.api.v1alpha1.extension.PyModeExtension;
import dev.pymode.operator.api.v1alpha1.extension.PyModeExtensionSpec;
import dev.pymode.operator.api.v1alpha1.worker.CloudflareTarget;
import dev.pymode.operator.api.v1alpha1.worker.ConfigMapSource;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorker;
import dev.pymode.operator.api.v1alpha1.worker.SecretBinding;
import dev.pymode.operator.api.v1alpha1.worker.WorkerBindings;
import dev.pymode.operator.api.v1alpha1.worker.WorkerSource;
import dev.pymode.operator.api.v1alpha1.workflow.PyModeWorkflow;
import dev.pymode.operator.api.v1alpha1.workflow.PyModeWorkflowSpec;
import dev.pymode.operator.status.Conditions;
import dev.pymode.operator.support.EndToEndResource;
import dev.pymode.operator.support.Namespaces;
import dev.pymode.operator.support.Ready;
import dev.pymode.operator.support.Standin;
import dev.pymode.operator.support.Workers;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Each failure stays in its own resource, one test per cross-resource link: a workflow's schedule (workflow →
 * worker), a Secret and a ConfigMap a worker reads, an extension a worker bundles, and the Cloudflare script two
 * workers could name alike (worker → worker). The resource at fault (or the one that depends on it) reports a
 * reason naming the other resource; a healthy worker deployed beside it stays Ready throughout.
 */
@QuarkusTest
@QuarkusTestResource(value = EndToEndResource.class, restrictToAnnotatedClass = true)
@Tag("e2e")
class ContainmentEndToEndTest {

    private static final String NS = "e2e-containment";
    private static final Duration DEPLOY_TIMEOUT = Duration.ofMinutes(4);
    private static final String HELLO = "from pymode.workers import Response\n\n"
            + "def on_fetch(request, env):\n    return Response('steady')\n";
    private static final String ORDERS = """
            from pymode.workers import Response
            from pymode.workflows import Workflow

            orders = Workflow("process-order")

            @orders.step
            def total(ctx):
                return 42

            def on_fetch(request, env):
                return Response("orders")
            """;

    @Inject
    KubernetesClient client;

    @BeforeEach
    void steadyWorker() {
        Namespaces.ensure(client, NS);
        if (worker("steady") == null) {
            client.resource(Workers.inline(NS, "steady", HELLO)).create();
        }
        Ready.await(client, PyModeWorker.class, NS, "steady", DEPLOY_TIMEOUT);
    }

    private PyModeWorker worker(String name) {
        return client.resources(PyModeWorker.class).inNamespace(NS).withName(name).get();
    }

    private PyModeWorkflow workflow(String name) {
        return client.resources(PyModeWorkflow.class).inNamespace(NS).withName(name).get();
    }

    private static Condition condition(CustomResource<?, ? extends PyModeStatus> resource, String type) {
        return resource == null || resource.getStatus() == null ? null
                : Conditions.find(resource.getStatus().getConditions(), type).orElse(null);
    }

    /** Waits until the resource's {@code type} condition has {@code reason}, and returns it. */
    private <T extends CustomResource<?, ? extends PyModeStatus>> Condition awaitReason(Class<T> kind, String name,
                                                                                       String type, String reason) {
        return await().atMost(DEPLOY_TIMEOUT).pollInterval(Duration.ofMillis(500))
                .until(() -> condition(client.resources(kind).inNamespace(NS).withName(name).get(), type),
                        c -> c != null && reason.equals(c.getReason()));
    }

    /** The healthy worker is Ready for its generation, not Stalled, and its script is on the account, over a while. */
    private void assertSteadyStaysReady(String versionBefore) throws Exception {
        for (int i = 0; i < 10; i++) {
            PyModeWorker steady = worker("steady");
            assertThat(condition(steady, "Ready")).satisfies(c -> assertThat(c.getStatus())
                    .as("steady: %s %s", c.getReason(), c.getMessage()).isEqualTo("True"));
            assertThat(condition(steady, "Stalled")).isNull();
            assertThat(steady.getStatus().getDeployment().getVersionId()).as("steady's code was not replaced")
                    .isEqualTo(versionBefore);
            Thread.sleep(500);
        }
        assertThat(scripts()).contains("steady");
    }

    private static List<String> scripts() throws Exception {
        List<String> names = new ArrayList<>();
        Standin.adminJson("/__standin/scripts").path("scripts").forEach(s -> names.add(s.path("script").asText()));
        return names;
    }


    private PyModeWorkflow scheduled(String name, String schedule) {
        var spec = new PyModeWorkflowSpec();
        spec.setWorkerRef(new LocalObjectReference("orders"));
        spec.setWorkflow("process-order");
        spec.setSchedule(schedule);
        var workflow = new PyModeWorkflow();
        workflow.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NS).build());
        workflow.setSpec(spec);
        return workflow;
    }

    /**
     * workflow → worker: the schedule is one of the worker's cron triggers, set by one Cloudflare call. A schedule
     * Cloudflare would refuse (a month range by name that runs backwards) is refused at admission, the earliest
     * point (it used to slip past the CEL rule, which compared numeric ranges only, and stall only its own
     * workflow); the worker and its other workflow carry on, and the schedule once fixed joins the trigger set.
     */
    @Test
    void anInvalidScheduleIsRefusedAndStaysOffTheWorkersCronTriggers() throws Exception {
        client.resource(Workers.inline(NS, "orders", ORDERS)).create();
        client.resource(scheduled("every-5m", "*/5 * * * *")).create();
        assertThatThrownBy(() -> client.resource(scheduled("bad-minute", "0 0 1 DEC-JAN *")).create())
                .isInstanceOf(io.fabric8.kubernetes.client.KubernetesClientException.class)
                .hasMessageContaining("spec.schedule").hasMessageContaining("ranges must run forwards");

        PyModeWorker orders = Ready.await(client, PyModeWorker.class, NS, "orders", DEPLOY_TIMEOUT);
        await().atMost(Duration.ofMinutes(1)).until(() -> worker("orders").getStatus().getDeployment().getSchedules()
                .stream().anyMatch(s -> "every-5m".equals(s.getWorkflow())));
        assertThat(worker("orders").getStatus().getDeployment().getSchedules())
                .extracting(s -> s.getWorkflow() + " " + s.getCron()).containsExactly("every-5m */5 * * * *");
        assertThat(Standin.crons("orders")).containsExactly("*/5 * * * *");
        Ready.await(client, PyModeWorkflow.class, NS, "every-5m", Duration.ofMinutes(1));
        assertThat(condition(worker("orders"), "Stalled")).isNull();

        // fixed, it joins the trigger set
        client.resource(scheduled("bad-minute", "1 * * * *")).create();
        Ready.await(client, PyModeWorkflow.class, NS, "bad-minute", DEPLOY_TIMEOUT);
        await().atMost(Duration.ofMinutes(1)).until(() -> Standin.crons("orders").size() == 2);
        assertThat(Standin.crons("orders")).containsExactlyInAnyOrder("*/5 * * * *", "1 * * * *");
        assertThat(condition(workflow("bad-minute"), "SpecValid").getStatus()).isEqualTo("True");
        assertThat(orders.getStatus().getObservedGeneration()).isEqualTo(worker("orders").getMetadata().getGeneration());
    }

    /** worker → Secret: a secret binding waits for its Secret, naming it; the value never shows. */
    @Test
    void aMissingSecretHoldsOnlyTheWorkerThatBindsIt() throws Exception {
        String steadyVersion = worker("steady").getStatus().getDeployment().getVersionId();
        PyModeWorker needsSecret = Workers.inline(NS, "needs-secret", HELLO);
        var binding = new SecretBinding();
        binding.setName("API_KEY");
        binding.setSecretKeyRef(new SecretKeyReference("api-key", "token"));
        var bindings = new WorkerBindings();
        bindings.getSecrets().add(binding);
        needsSecret.getSpec().setBindings(bindings);
        client.resource(needsSecret).create();

        Condition waiting = awaitReason(PyModeWorker.class, "needs-secret", "Deployed", "SecretNotFound");
        assertThat(waiting.getMessage()).contains("Secret " + NS + "/api-key");
        assertThat(condition(worker("needs-secret"), "Reconciling").getStatus()).isEqualTo("True");
        assertSteadyStaysReady(steadyVersion);

        String value = "s3cr3t-" + System.nanoTime();
        client.resource(new SecretBuilder().withNewMetadata().withName("api-key").withNamespace(NS).endMetadata()
                .withStringData(Map.of("token", value)).build()).create();
        PyModeWorker ready = Ready.await(client, PyModeWorker.class, NS, "needs-secret", Duration.ofMinutes(2));
        assertThat(client.getKubernetesSerialization().asJson(ready.getStatus())).doesNotContain(value);
        assertThat(client.v1().events().inNamespace(NS).list().getItems())
                .allSatisfy(e -> assertThat(e.getMessage()).doesNotContain(value));
        assertThat(java.nio.file.Files.readString(EndToEndResource.operatorLog)).doesNotContain(value);
    }

    /** worker → ConfigMap: the source waits for its ConfigMap, and an unsafe one stalls only its worker. */
    @Test
    void aMissingOrInvalidConfigMapHoldsOnlyTheWorkerThatBuildsFromIt() throws Exception {
        String steadyVersion = worker("steady").getStatus().getDeployment().getVersionId();
        for (String name : List.of("from-missing", "from-unsafe")) {
            PyModeWorker fromConfigMap = Workers.inline(NS, name, HELLO);
            var source = new WorkerSource();
            var ref = new ConfigMapSource();
            ref.setName(name + "-source");
            source.setConfigMapRef(ref);
            fromConfigMap.getSpec().setSource(source);
            client.resource(fromConfigMap).create();
        }
        client.resource(new ConfigMapBuilder().withNewMetadata().withName("from-unsafe-source").withNamespace(NS)
                .endMetadata().withData(Map.of("src--..--..--etc--passwd", "x")).build()).create();

        Condition missing = awaitReason(PyModeWorker.class, "from-missing", "SourceReady", "ConfigMapNotFound");
        assertThat(missing.getMessage()).contains("ConfigMap " + NS + "/from-missing-source");
        Condition unsafe = awaitReason(PyModeWorker.class, "from-unsafe", "Stalled", "InvalidSourcePath");
        assertThat(unsafe.getMessage()).contains("ConfigMap " + NS + "/from-unsafe-source");
        assertSteadyStaysReady(steadyVersion);
    }

    /** worker → extension: a genuine dependency; its failure is named by the worker, unrelated workers carry on. */
    @Test
    void aFailedExtensionStallsTheWorkersThatListItNamingItAndNoOther() throws Exception {
        String steadyVersion = worker("steady").getStatus().getDeployment().getVersionId();
        var spec = new PyModeExtensionSpec();
        spec.setRecipe("pymode-no-such-recipe");
        var extension = new PyModeExtension();
        extension.setMetadata(new ObjectMetaBuilder().withName("broken-ext").withNamespace(NS).build());
        extension.setSpec(spec);
        client.resource(extension).create();
        String extensionReason = reasonOf("broken-ext");

        PyModeWorker dependent = Workers.inline(NS, "needs-ext", HELLO);
        dependent.getSpec().getExtensions().add(new LocalObjectReference("broken-ext"));
        client.resource(dependent).create();
        Condition stalled = awaitReason(PyModeWorker.class, "needs-ext", "Stalled", "ExtensionFailed");
        assertThat(stalled.getMessage()).contains("PyModeExtension " + NS + "/broken-ext")
                .contains(extensionReason);
        assertSteadyStaysReady(steadyVersion);
    }

    private String reasonOf(String extension) {
        return await().atMost(DEPLOY_TIMEOUT).until(() -> condition(client.resources(PyModeExtension.class)
                .inNamespace(NS).withName(extension).get(), "Stalled"), c -> c != null).getReason();
    }

    /** worker → worker: two workers naming one Cloudflare script; the one that had it first keeps it. */
    @Test
    void aWorkerNamingAnotherWorkersScriptStallsAndCannotReplaceOrDeleteIt() throws Exception {
        String steadyVersion = worker("steady").getStatus().getDeployment().getVersionId();
        PyModeWorker intruder = Workers.inline(NS, "intruder", HELLO.replace("steady", "intruder"));
        var cloudflare = new CloudflareTarget();
        cloudflare.setScriptName("steady");
        intruder.getSpec().setCloudflare(cloudflare);
        client.resource(intruder).create();

        Condition conflict = awaitReason(PyModeWorker.class, "intruder", "Stalled", "ScriptNameConflict");
        assertThat(conflict.getMessage()).contains("PyModeWorker " + NS + "/steady");
        assertSteadyStaysReady(steadyVersion);

        client.resources(PyModeWorker.class).inNamespace(NS).withName("intruder").delete();
        await().atMost(Duration.ofMinutes(1)).until(() -> worker("intruder") == null);
        assertSteadyStaysReady(steadyVersion);
    }
}
