package dev.pymode.operator.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Map;

import dev.pymode.operator.api.v1alpha1.common.LocalObjectReference;
import dev.pymode.operator.api.v1alpha1.common.PyModeStatus;
import dev.pymode.operator.api.v1alpha1.extension.PyModeExtension;
import dev.pymode.operator.api.v1alpha1.extension.PyModeExtensionSpec;
import dev.pymode.operator.api.v1alpha1.worker.CloudflareTarget;
import dev.pymode.operator.api.v1alpha1.worker.ConfigMapSource;
import dev.pymode.operator.api.v1alpha1.worker.InlineFile;
import dev.pymode.operator.api.v1alpha1.worker.InlineSource;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorker;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorkerSpec;
import dev.pymode.operator.api.v1alpha1.worker.WorkerSource;
import dev.pymode.operator.api.v1alpha1.workflow.PyModeWorkflow;
import dev.pymode.operator.api.v1alpha1.workflow.PyModeWorkflowSpec;
import dev.pymode.operator.status.Conditions;
import dev.pymode.operator.support.Namespaces;
import dev.pymode.operator.support.RealApiServerResource;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.CustomResource;
import io.javaoperatorsdk.operator.Operator;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The operator, as Quarkus runs it, against a real API server: what each controller writes to status. */
@QuarkusTest
@QuarkusTestResource(value = RealApiServerResource.class, restrictToAnnotatedClass = true)
@Tag("apiserver")
class OperatorReconcileTest {

    private static final String NS = "reconcile";
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @Inject
    KubernetesClient client;

    @Inject
    Operator operator;

    @BeforeEach
    void namespace() {
        Namespaces.ensure(client, NS);
    }

    private static PyModeWorker worker(String name, WorkerSource source) {
        var worker = new PyModeWorker();
        worker.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NS).build());
        var spec = new PyModeWorkerSpec();
        spec.setSource(source);
        worker.setSpec(spec);
        return worker;
    }

    private static WorkerSource inline(String path, String content) {
        var inline = new InlineSource();
        inline.getFiles().add(new InlineFile(path, content));
        var source = new WorkerSource();
        source.setInline(inline);
        return source;
    }

    private <T extends CustomResource<?, ? extends PyModeStatus>> Condition awaitCondition(
            Class<T> type, String name, String conditionType, String reason) {
        return await().atMost(TIMEOUT).until(() -> {
            T current = client.resources(type).inNamespace(NS).withName(name).get();
            if (current == null || current.getStatus() == null) {
                return null;
            }
            return Conditions.find(current.getStatus().getConditions(), conditionType)
                    .filter(c -> reason.equals(c.getReason())).orElse(null);
        }, c -> c != null);
    }

    @Test
    void inlineWorkerResolvesItsSourceAndStallsWithoutARegistry() {
        client.resource(worker("inline-hello", inline("src/entry.py", "def on_fetch(r, e): pass"))).create();

        Condition valid = awaitCondition(PyModeWorker.class, "inline-hello", "SpecValid", "Valid");
        assertThat(valid.getStatus()).isEqualTo("True");
        Condition source = awaitCondition(PyModeWorker.class, "inline-hello", "SourceReady", "Resolved");
        assertThat(source.getStatus()).isEqualTo("True");
        assertThat(source.getMessage()).contains("1 files").contains("entry src/entry.py");
        Condition stalled = awaitCondition(PyModeWorker.class, "inline-hello", "Stalled", "RegistryNotConfigured");
        assertThat(stalled.getStatus()).isEqualTo("True");

        PyModeWorker stored = client.resources(PyModeWorker.class).inNamespace(NS).withName("inline-hello").get();
        assertThat(stored.getStatus().getObservedGeneration()).isEqualTo(stored.getMetadata().getGeneration());
        assertThat(stored.getStatus().getSourceDigest()).startsWith("sha256:");
        assertThat(Conditions.find(stored.getStatus().getConditions(), "Ready").orElseThrow().getStatus())
                .isEqualTo("False");
    }

    /** The validate step: a script name an older worker holds is refused before any source is read. */
    @Test
    void aScriptNameAnotherWorkerHoldsIsAnInvalidSpec() {
        client.resource(named(worker("claim-holder", inline("src/entry.py", "x = 1")), "claimed-script")).create();
        // the holder is reconciled (so in the operator's cache) before the second worker asks for its script
        awaitCondition(PyModeWorker.class, "claim-holder", "SpecValid", "Valid");
        client.resource(named(worker("claim-second", inline("src/entry.py", "x = 1")), "claimed-script")).create();

        Condition invalid = awaitCondition(PyModeWorker.class, "claim-second", "SpecValid", "ScriptNameConflict");
        assertThat(invalid.getStatus()).isEqualTo("False");
        assertThat(invalid.getMessage()).contains("belongs to PyModeWorker " + NS + "/claim-holder");
        assertThat(awaitCondition(PyModeWorker.class, "claim-second", "Stalled", "ScriptNameConflict").getStatus())
                .isEqualTo("True");
        PyModeWorker second = client.resources(PyModeWorker.class).inNamespace(NS).withName("claim-second").get();
        assertThat(Conditions.find(second.getStatus().getConditions(), "SourceReady")).isEmpty();
    }

    private static PyModeWorker named(PyModeWorker worker, String scriptName) {
        var cloudflare = new CloudflareTarget();
        cloudflare.setScriptName(scriptName);
        worker.getSpec().setCloudflare(cloudflare);
        return worker;
    }

    @Test
    void missingEntryStallsWithTheFileList() {
        client.resource(worker("no-entry", inline("main.py", "x = 1"))).create();
        Condition ready = awaitCondition(PyModeWorker.class, "no-entry", "Ready", "EntryNotFound");
        assertThat(ready.getMessage()).contains("'src/entry.py' is not in the project").contains("main.py");
    }

    @Test
    void configMapSourceWaitsForTheConfigMapThenResolvesIt() {
        var source = new WorkerSource();
        var ref = new ConfigMapSource();
        ref.setName("late-source");
        source.setConfigMapRef(ref);
        client.resource(worker("from-configmap", source)).create();

        Condition reconciling = awaitCondition(PyModeWorker.class, "from-configmap", "Reconciling", "ConfigMapNotFound");
        assertThat(reconciling.getStatus()).isEqualTo("True");

        client.resource(new ConfigMapBuilder().withNewMetadata().withName("late-source").withNamespace(NS).endMetadata()
                .withData(Map.of("src--entry.py", "def on_fetch(r, e): pass", "src--helpers.py", "X = 1"))
                .build()).create();
        // The ConfigMap informer wakes the worker up well before its 30 s recheck.
        Condition resolved = await().atMost(Duration.ofSeconds(10)).until(() -> Conditions.find(
                client.resources(PyModeWorker.class).inNamespace(NS).withName("from-configmap").get().getStatus()
                        .getConditions(), "SourceReady").filter(c -> "Resolved".equals(c.getReason())).orElse(null),
                c -> c != null);
        assertThat(resolved.getMessage()).contains("2 files").contains("entry src/entry.py");
        String firstDigest = client.resources(PyModeWorker.class).inNamespace(NS).withName("from-configmap").get()
                .getStatus().getSourceDigest();

        client.configMaps().inNamespace(NS).withName("late-source")
                .edit(cm -> new ConfigMapBuilder(cm).addToData("src--helpers.py", "X = 2").build());
        await().atMost(Duration.ofSeconds(10)).until(() -> client.resources(PyModeWorker.class).inNamespace(NS)
                .withName("from-configmap").get().getStatus().getSourceDigest(), d -> !firstDigest.equals(d));
    }

    @Test
    void extensionWithAnUnknownRecipeStalls() {
        var extension = new PyModeExtension();
        extension.setMetadata(new ObjectMetaBuilder().withName("nope").withNamespace(NS).build());
        var spec = new PyModeExtensionSpec();
        spec.setRecipe("no-such-recipe");
        extension.setSpec(spec);
        client.resource(extension).create();

        Condition stalled = awaitCondition(PyModeExtension.class, "nope", "Stalled", "RecipeNotFound");
        assertThat(stalled.getMessage()).contains("no recipe named 'no-such-recipe'");
    }

    @Test
    void workflowWaitsForItsWorker() {
        var workflow = new PyModeWorkflow();
        workflow.setMetadata(new ObjectMetaBuilder().withName("orders").withNamespace(NS).build());
        var spec = new PyModeWorkflowSpec();
        spec.setWorkerRef(new LocalObjectReference("absent-worker"));
        spec.setWorkflow("process-order");
        workflow.setSpec(spec);
        client.resource(workflow).create();

        Condition reconciling = awaitCondition(PyModeWorkflow.class, "orders", "Reconciling", "WorkerNotFound");
        assertThat(reconciling.getMessage()).contains("reconcile/absent-worker");
    }

    /**
     * Leader election is off here (pymode.leader-election.enabled defaults to false, and this profile is one QOSDK
     * activates leader election for): JOSDK gets no configuration, so it makes no Lease call, not even the
     * permission check that crash-looped a single replica whose chart granted no Lease access.
     */
    @Test
    void leaderElectionOffMeansNoLeaseCalls() {
        assertThat(operator.getConfigurationService().getLeaderElectionConfiguration()).isEmpty();
        // the operator has been running (it answered the other tests, or this worker): no Lease was taken
        client.resource(worker("lease-check", inline("src/entry.py", "def on_fetch(r, e): pass\n"))).create();
        awaitCondition(PyModeWorker.class, "lease-check", "SourceReady", "Resolved");
        assertThat(client.leases().inAnyNamespace().list().getItems())
                .as("Leases besides the API server's own identity Lease in kube-system")
                .allSatisfy(l -> assertThat(l.getMetadata().getNamespace()).isEqualTo("kube-system"));
    }
}
