package dev.pymode.operator.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;

import dev.pymode.operator.api.v1alpha1.worker.CloudflareTarget;
import dev.pymode.operator.api.v1alpha1.worker.DeployedRoute;
import dev.pymode.operator.api.v1alpha1.worker.KvBinding;
import dev.pymode.operator.api.v1alpha1.worker.NamedBinding;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorker;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorkerSpec;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorkerStatus;
import dev.pymode.operator.api.v1alpha1.worker.QueueBinding;
import dev.pymode.operator.api.v1alpha1.worker.QueueConsumerSpec;
import dev.pymode.operator.api.v1alpha1.worker.R2Binding;
import dev.pymode.operator.api.v1alpha1.worker.ResourcePolicy;
import dev.pymode.operator.api.v1alpha1.worker.WorkerBindings;
import dev.pymode.operator.api.v1alpha1.worker.WorkerDeployment;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What deleting a worker removes from Cloudflare, decided from the workers that exist (no call made): its script with
 * its routes and queue consumers unless another worker took the script over, and the resources its bindings own
 * under resourcePolicy Delete unless another worker of the same account still binds them.
 */
@Tag("unit")
class WorkerTeardownPlanTest {

    private static final String ACCOUNT = "acc-1";

    private static PyModeWorker worker(String uid, String account, String script, WorkerBindings bindings) {
        var spec = new PyModeWorkerSpec();
        spec.setBindings(bindings);
        var deployment = new WorkerDeployment();
        deployment.setAccountId(account);
        deployment.setScriptName(script);
        deployment.setRoutes(List.of(new DeployedRoute("shop.example.com/*", "zone-1", "route-1")));
        var status = new PyModeWorkerStatus();
        status.setDeployment(deployment);
        var worker = new PyModeWorker();
        worker.setMetadata(new ObjectMetaBuilder().withName(script).withNamespace("ns").withUid(uid).build());
        worker.setSpec(spec);
        worker.setStatus(status);
        return worker;
    }

    private static WorkerBindings bindings(List<String> kv, List<String> r2, List<String> queues) {
        var bindings = new WorkerBindings();
        bindings.setKv(kv.stream().map(ns -> named(new KvBinding(), ns, KvBinding::setNamespace)).toList());
        bindings.setR2(r2.stream().map(bucket -> named(new R2Binding(), bucket, R2Binding::setBucket)).toList());
        bindings.setQueues(queues.stream().map(q -> named(new QueueBinding(), q, QueueBinding::setQueue)).toList());
        return bindings;
    }

    /** A binding named after the resource it owns. */
    private static <B extends NamedBinding> B named(B binding, String resource, BiConsumer<B, String> owns) {
        binding.setName(resource.toUpperCase());
        owns.accept(binding, resource);
        return binding;
    }

    private static WorkerTeardown.Plan plan(PyModeWorker deleted, PyModeWorker... others) {
        List<PyModeWorker> all = new java.util.ArrayList<>(List.of(others));
        all.add(deleted); // the deleted worker is still listed while its finalizer runs
        return WorkerTeardown.plan(deleted, deleted.getStatus().getDeployment(), all);
    }

    /** kind name -> resources, for readable assertions */
    private static Map<String, List<String>> byName(WorkerTeardown.Plan plan) {
        Map<String, List<String>> out = new TreeMap<>();
        plan.resources().forEach((kind, resources) -> out.put(kind.name(), resources));
        return out;
    }

    @Test
    void aWorkerAloneTakesItsScriptRoutesAndOwnedResourcesWithIt() {
        PyModeWorker shop = worker("u1", ACCOUNT, "shop", bindings(List.of("cache"), List.of("media"), List.of("jobs")));
        WorkerTeardown.Plan plan = plan(shop);
        assertThat(plan.removeScript()).isTrue();
        assertThat(plan.detachQueueConsumers()).isFalse();
        assertThat(plan.routes()).extracting(DeployedRoute::getId).containsExactly("route-1");
        assertThat(byName(plan)).isEqualTo(Map.of("kv", List.of("cache"), "r2", List.of("media"), "queue",
                List.of("jobs")));
    }

    @Test
    void resourcesAnotherWorkerOfTheAccountBindsAreKept() {
        PyModeWorker shop = worker("u1", ACCOUNT, "shop", bindings(List.of("cache", "sessions"), List.of(), List.of()));
        PyModeWorker api = worker("u2", ACCOUNT, "api", bindings(List.of("sessions"), List.of(), List.of()));
        assertThat(byName(plan(shop, api))).isEqualTo(Map.of("kv", List.of("cache")));
    }

    @Test
    void aWorkerOfAnotherAccountBindingTheSameNameDoesNotKeepIt() {
        PyModeWorker shop = worker("u1", ACCOUNT, "shop", bindings(List.of("sessions"), List.of(), List.of()));
        PyModeWorker elsewhere = worker("u2", "acc-2", "shop", bindings(List.of("sessions"), List.of(), List.of()));
        WorkerTeardown.Plan plan = plan(shop, elsewhere);
        assertThat(byName(plan)).isEqualTo(Map.of("kv", List.of("sessions")));
        assertThat(plan.removeScript()).as("the same script name in another account is another script").isTrue();
    }

    @Test
    void aScriptAnotherWorkerTookOverStaysWithItsRoutes() {
        PyModeWorker old = worker("u1", ACCOUNT, "shop", bindings(List.of(), List.of(), List.of()));
        old.getSpec().setQueueConsumers(List.of(new QueueConsumerSpec()));
        PyModeWorker successor = worker("u2", ACCOUNT, "shop", null);
        WorkerTeardown.Plan plan = plan(old, successor);
        assertThat(plan.removeScript()).isFalse();
        assertThat(plan.detachQueueConsumers()).isFalse();
        assertThat(plan.routes()).isEmpty();
    }

    @Test
    void aConsumerScriptIsDetachedFromItsQueuesBeforeItGoes() {
        PyModeWorker consumer = worker("u1", ACCOUNT, "consumer", null);
        consumer.getSpec().setQueueConsumers(List.of(new QueueConsumerSpec()));
        WorkerTeardown.Plan plan = plan(consumer);
        assertThat(plan.removeScript()).isTrue();
        assertThat(plan.detachQueueConsumers()).isTrue();
        assertThat(plan.resources()).isEmpty();
    }

    @Test
    void theRetainPolicyKeepsEveryResource() {
        PyModeWorker shop = worker("u1", ACCOUNT, "shop", bindings(List.of("cache"), List.of("media"), List.of()));
        var cloudflare = new CloudflareTarget();
        cloudflare.setResourcePolicy(ResourcePolicy.Retain);
        shop.getSpec().setCloudflare(cloudflare);
        WorkerTeardown.Plan plan = plan(shop);
        assertThat(plan.removeScript()).isTrue();
        assertThat(plan.resources()).isEmpty();
    }
}
