package dev.pymode.delivery.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults the operator must ride out, on the real cluster with the chart's default values (one replica): the
 * operator killed mid-build and mid-deploy, Cloudflare answering 429 with Retry-After and 5xx storms, the OCI
 * registry down for 60 s, the API server restarted. For each: the worker ends Ready and answering, with one builder
 * Job and one Cloudflare version, no spec change lost, never Stalled while the fault lasts (a transient fault is no
 * input error), and the recovery time printed in a table at the end. (A builder pod OOM-killed is in
 * ClusterTierTest: it is an input-bound failure and stalls.)
 */
@Tag("cluster")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FaultToleranceTest {

    private static final String SYSTEM = "pymode-faults";
    private static final String RELEASE = "faults";
    private static final String APPS = "faults-" + Long.toString(System.currentTimeMillis() % 100_000_000L, 36);
    private static final Duration WAIT = ClusterWorkers.BUILD_WAIT;
    private static final List<String> TABLE = new ArrayList<>();

    private static ClusterEnvironment cluster;
    private static KubernetesClient client;
    private static ClusterOperator operator;
    private static ClusterWorkers apps;

    @BeforeAll
    static void install(@TempDir Path tmp) throws Exception {
        cluster = ClusterEnvironment.fromEnvironment();
        client = cluster.client();
        operator = ClusterOperator.prepare(cluster, client, tmp.resolve("cloudflare"), SYSTEM, APPS);
        apps = new ClusterWorkers(client, APPS);
        assertThat(operator.install(RELEASE, SYSTEM, Map.of()).getStatus()).isEqualTo("deployed");
    }

    @AfterAll
    static void uninstall() throws Exception {
        System.out.println("[faults] fault | recovery | outcome");
        TABLE.forEach(row -> System.out.println("[faults] " + row));
        try {
            if (cluster != null) {
                cluster.startStoppedProcesses();  // whatever a failed test left stopped
            }
            if (client != null) {
                // Deleted while the operator runs, so their finalizers complete before it is uninstalled.
                apps.resources().delete();
                Instant deadline = Instant.now().plus(Duration.ofMinutes(2));
                while (!apps.resources().list().getItems().isEmpty() && Instant.now().isBefore(deadline)) {
                    ClusterWorkers.sleep(500);
                }
                operator.uninstall(RELEASE, SYSTEM);
                client.namespaces().withName(APPS).delete();
            }
        } finally {
            if (client != null) {
                client.close();
            }
            if (operator != null) {
                operator.close();  // the stand-in is this run's process: stopped whatever happened above
            }
        }
    }

    @Test
    @Order(1)
    void theOperatorKilledMidBuildAdoptsItsJob() throws Exception {
        apps.create("mid-build", "return Response('built once')");
        Job job = apps.awaitJob("mid-build", j -> true);
        Instant killed = killOperator();
        apps.awaitCondition("mid-build", "Ready", "True", WAIT);
        Duration recovery = Duration.between(killed, Instant.now());

        List<Job> jobs = apps.buildJobs("mid-build");
        assertThat(jobs).as("events: %s", apps.events("mid-build", null)).hasSize(1);
        assertThat(jobs.get(0).getMetadata().getUid()).as("the running Job adopted").isEqualTo(job.getMetadata().getUid());
        assertThat(successfulUploads("mid-build")).as("one Cloudflare version").isEqualTo(1);
        assertThat(operator.edge("mid-build", "/")).isEqualTo("built once");
        row("operator pod killed mid-build", recovery, "Ready; 1 Job (adopted), 1 version");
    }

    @Test
    @Order(2)
    void theOperatorKilledMidDeployUploadsOnce() throws Exception {
        // Every upload fails until the operator is gone: the kill lands inside the deploy stage.
        operator.fault(Map.of("method", "PUT", "path", "/accounts/*/workers/scripts/mid-deploy", "status", 503,
                "count", 1000));
        apps.create("mid-deploy", "return Response('deployed once')");
        awaitUploadAttempt("mid-deploy");
        Instant killed = killOperator();
        operator.clearFaults();
        apps.awaitCondition("mid-deploy", "Ready", "True", WAIT);
        Duration recovery = Duration.between(killed, Instant.now());

        assertThat(apps.buildJobs("mid-deploy")).hasSize(1);
        assertThat(successfulUploads("mid-deploy")).as("one Cloudflare version").isEqualTo(1);
        assertThat(operator.edge("mid-deploy", "/")).isEqualTo("deployed once");
        row("operator pod killed mid-deploy (uploads failing)", recovery, "Ready; 1 Job, 1 version");
    }

    @Test
    @Order(3)
    void cloudflareRateLimitsAndServerErrorStormsAreRiddenOut() throws Exception {
        operator.fault(Map.of("method", "PUT", "path", "/accounts/*/workers/scripts/storm", "status", 429,
                "retry_after", 5, "count", 3));
        operator.fault(Map.of("method", "PUT", "path", "/accounts/*/workers/scripts/storm", "status", 502,
                "count", 3));
        Instant created = Instant.now();
        apps.create("storm", "return Response('after the storm')");
        Set<String> seen = watchUntilReady("storm");
        Duration total = Duration.between(created, Instant.now());

        assertThat(seen).as("what the worker said while Cloudflare refused").anyMatch(r -> r.contains("RateLimited")
                || r.contains("CloudflareUnavailable"));
        assertThat(successfulUploads("storm")).as("one Cloudflare version").isEqualTo(1);
        assertThat(operator.scriptUploads("storm")).as("429s honoured, then one success").contains(429);
        assertThat(operator.edge("storm", "/")).isEqualTo("after the storm");
        row("Cloudflare uploads answered 429 (Retry-After 5 s) x3, then 502 x3", total, "Ready (apply -> Ready incl. build); conditions "
                + seen + "; 1 version");
    }

    @Test
    @Order(4)
    void theRegistryDownFor60SecondsDelaysTheBuildOnly() throws Exception {
        cluster.stopProcess("registry");
        Instant down = Instant.now();
        Set<String> seen;
        try {
            apps.create("registry-down", "return Response('registry is back')");
            seen = watchFor("registry-down", Duration.ofSeconds(60));
        } finally {
            cluster.startStoppedProcesses();
        }
        Instant back = Instant.now();
        seen.addAll(watchUntilReady("registry-down"));
        Duration recovery = Duration.between(back, Instant.now());

        assertThat(seen).as("while the registry was down").anyMatch(r -> r.contains("RegistryUnavailable"));
        assertThat(apps.buildJobs("registry-down")).hasSize(1);
        assertThat(successfulUploads("registry-down")).isEqualTo(1);
        assertThat(operator.edge("registry-down", "/")).isEqualTo("registry is back");
        row("OCI registry down " + Duration.between(down, back).toSeconds() + " s", recovery,
                "Ready after the registry was back; conditions " + seen + "; 1 Job, 1 version");
    }

    @Test
    @Order(5)
    void aSpecChangeMadeJustBeforeTheApiServerRestartsIsNotLost() throws Exception {
        apps.create("api-restart", "return Response('before')");
        apps.awaitCondition("api-restart", "Ready", "True", WAIT);
        int restarts = operatorRestarts();

        apps.changeCode("api-restart", "return Response('after the restart')");
        cluster.stopProcess("kube-apiserver");
        Instant stopped = Instant.now();
        ClusterWorkers.sleep(10_000);
        cluster.startStoppedProcesses();
        Instant back = Instant.now();
        apps.awaitCondition("api-restart", "Ready", "True", WAIT);
        Duration recovery = Duration.between(back, Instant.now());

        assertThat(operator.edge("api-restart", "/")).isEqualTo("after the restart");
        assertThat(successfulUploads("api-restart")).as("one version per generation").isEqualTo(2);
        int restartsAfter = operatorRestarts();
        row("API server stopped " + Duration.between(stopped, back).toSeconds() + " s (spec changed just before)",
                recovery, "new generation Ready and answering; operator container restarts: "
                        + (restartsAfter - restarts));
    }

    // --- helpers ---

    private static Instant killOperator() {
        Pod pod = client.pods().inNamespace(SYSTEM).withLabel("app.kubernetes.io/instance", RELEASE).list().getItems()
                .stream().filter(p -> p.getMetadata().getDeletionTimestamp() == null).findFirst().orElseThrow();
        client.pods().inNamespace(SYSTEM).withName(pod.getMetadata().getName()).withGracePeriod(0).delete();
        return Instant.now();
    }

    private static int operatorRestarts() {
        return client.pods().inNamespace(SYSTEM).withLabel("app.kubernetes.io/instance", RELEASE).list().getItems()
                .stream().flatMap(p -> p.getStatus().getContainerStatuses().stream())
                .mapToInt(c -> c.getRestartCount() == null ? 0 : c.getRestartCount()).sum();
    }

    private static long successfulUploads(String script) throws Exception {
        return operator.scriptUploads(script).stream().filter(s -> s / 100 == 2).count();
    }

    private static void awaitUploadAttempt(String script) throws Exception {
        Instant deadline = Instant.now().plus(WAIT);
        while (operator.scriptUploads(script).isEmpty()) {
            assertThat(Instant.now()).as("no upload of %s tried; events %s", script, apps.events(script, null))
                    .isBefore(deadline);
            ClusterWorkers.sleep(200);
        }
    }

    /** The Ready/Built/Deployed reasons seen until Ready; fails if the worker ever stalls (a fault is no input error). */
    private static Set<String> watchUntilReady(String name) {
        Set<String> seen = new LinkedHashSet<>();
        Instant deadline = Instant.now().plus(WAIT);
        while (Instant.now().isBefore(deadline)) {
            GenericKubernetesResource worker = observe(name, seen);
            if (ClusterWorkers.condition(worker, "Ready").map(c -> "True".equals(c.get("status"))).orElse(false)) {
                return seen;
            }
            ClusterWorkers.sleep(250);
        }
        throw new AssertionError(name + " not Ready after " + WAIT.toSeconds() + " s; seen " + seen + "; events "
                + apps.events(name, null));
    }

    private static Set<String> watchFor(String name, Duration period) {
        Set<String> seen = new LinkedHashSet<>();
        Instant end = Instant.now().plus(period);
        while (Instant.now().isBefore(end)) {
            observe(name, seen);
            ClusterWorkers.sleep(250);
        }
        return seen;
    }

    private static GenericKubernetesResource observe(String name, Set<String> seen) {
        GenericKubernetesResource worker = apps.resources().withName(name).get();
        assertThat(ClusterWorkers.condition(worker, "Stalled").map(c -> c.get("status")).orElse("False"))
                .as("%s stalled on a transient fault: %s", name, worker.getAdditionalProperties().get("status"))
                .isNotEqualTo("True");
        for (String type : List.of("Built", "Deployed")) {
            ClusterWorkers.condition(worker, type).filter(c -> "False".equals(c.get("status")))
                    .ifPresent(c -> seen.add(type + "=" + c.get("reason")));
        }
        return worker;
    }

    private static void row(String fault, Duration recovery, String outcome) {
        String line = String.format("%s | %.1f s | %s", fault, recovery.toMillis() / 1000.0, outcome);
        TABLE.add(line);
        System.out.println("[faults] " + line);
    }
}
