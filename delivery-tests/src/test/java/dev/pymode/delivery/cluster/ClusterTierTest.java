package dev.pymode.delivery.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.Release;
import dev.pymode.delivery.support.Repo;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator where its users run it: a real single-node cluster (kubelet, containerd, runc, CNI, kube-proxy,
 * CoreDNS; hack/cluster), the operator and builder images built here and pulled by digest, {@code helm install}
 * with default values, builds as real builder pods, the Cloudflare stand-in outside the cluster. The tests run in
 * order on one release: install, build and answer, the builder pod's security seen from inside, a Job deleted by
 * hand, memory and deadline limits, leader failover with two replicas, uninstall.
 */
@Tag("cluster")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterTierTest {

    private static final String SYSTEM = "pymode-system";
    /** Per run, so a cluster kept between runs (KEEP_RUNNING=1) starts clean. */
    private static final String APPS = "apps-" + Long.toString(System.currentTimeMillis() % 100_000_000L, 36);
    private static final String RELEASE = "pymode";
    private static final String FULLNAME = "pymode-pymode-operator";
    private static final Duration BUILD_WAIT = ClusterWorkers.BUILD_WAIT;
    private static final ObjectMapper JSON = new ObjectMapper();

    private static ClusterEnvironment cluster;
    private static KubernetesClient client;
    private static ClusterOperator operator;
    private static ClusterWorkers apps;

    @BeforeAll
    static void connect(@TempDir Path tmp) throws Exception {
        cluster = ClusterEnvironment.fromEnvironment();
        client = cluster.client();
        operator = ClusterOperator.prepare(cluster, client, tmp.resolve("cloudflare"), SYSTEM, APPS);
        apps = new ClusterWorkers(client, APPS);
    }

    @AfterAll
    static void disconnect() throws Exception {
        try {
            if (client != null) {
                // The operator is uninstalled by now: what it would have finalized is released by hand, as the
                // uninstall guide says, so the namespace can go.
                for (GenericKubernetesResource worker : apps.resources().list().getItems()) {
                    apps.resources().withName(worker.getMetadata().getName()).edit(w -> {
                        w.getMetadata().setFinalizers(List.of());
                        return w;
                    });
                }
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
    void helmInstallWithDefaultValuesRunsTheOperator() {
        Release release = operator.install(RELEASE, SYSTEM, Map.of());
        assertThat(release.getStatus()).isEqualTo("deployed");

        Deployment deployment = client.apps().deployments().inNamespace(SYSTEM).withName(FULLNAME).get();
        assertThat(deployment.getStatus().getReadyReplicas()).isEqualTo(1);
        Pod pod = operatorPods().get(0);
        assertThat(pod.getSpec().getContainers().get(0).getImage()).isEqualTo(cluster.operatorImage());
        assertThat(pod.getStatus().getContainerStatuses().get(0).getRestartCount())
                .as("the operator must start on the first try with default values").isZero();
        assertThat(client.pods().inNamespace(SYSTEM).withName(pod.getMetadata().getName()).getLog())
                .doesNotContain("No permission").doesNotContain("Forbidden");
    }

    @Test
    @Order(2)
    void aWorkerIsBuiltByABuilderPodAndAnswersAtTheEdge() throws Exception {
        Instant applied = Instant.now();
        apps.create("hello-cluster", "return Response('Hello from the cluster!')");
        GenericKubernetesResource worker = apps.awaitCondition("hello-cluster", "Ready", "True", BUILD_WAIT);
        Duration applyToReady = Duration.between(applied, Instant.now());
        System.out.printf("[cluster] apply -> Ready for a fresh build in a builder Job: %.1f s%n",
                applyToReady.toMillis() / 1000.0);

        List<Job> jobs = apps.buildJobs("hello-cluster");
        assertThat(jobs).as("one builder Job for the worker's build key").hasSize(1);
        Job job = jobs.get(0);
        assertThat(job.getStatus().getSucceeded()).isEqualTo(1);
        assertThat(job.getSpec().getTemplate().getSpec().getContainers().get(0).getImage())
                .isEqualTo(cluster.builderImage());
        JsonNode status = JSON.valueToTree(worker.getAdditionalProperties().get("status"));
        assertThat(status.at("/artifact/cacheHit").asBoolean()).isFalse();
        assertThat(status.at("/artifact/ref").asText()).startsWith(cluster.registry() + "/");

        assertThat(operator.edge("hello-cluster", "/")).isEqualTo("Hello from the cluster!");
    }

    @Test
    @Order(3)
    void aWorkerWithPackagesIsBuiltThroughTheEgressWithTheConfiguredCaBundle() throws Exception {
        // This machine's egress passes a TLS-inspecting proxy: pip in the builder pod trusts it only through the
        // bundle (the host's, which holds the proxy's CA) the chart hands to builds.
        client.configMaps().inNamespace(SYSTEM).resource(new ConfigMapBuilder().withNewMetadata().withName("builder-ca")
                .endMetadata().addToData("ca-bundle.crt", Files.readString(Path.of("/etc/ssl/certs/ca-certificates.crt")))
                .build()).serverSideApply();
        upgrade(Map.of("builder.caBundle.configMap", "builder-ca"));
        apps.create("with-packages", "import six; return Response('six ' + six.__version__)", List.of("six==1.17.0"));
        apps.awaitCondition("with-packages", "Ready", "True", BUILD_WAIT);
        assertThat(operator.edge("with-packages", "/")).isEqualTo("six 1.17.0");
    }

    @Test
    @Order(4)
    void theBuilderPodIsHardenedSeenFromInside() throws Exception {
        Job job = apps.buildJobs("hello-cluster").get(0);
        // The same pod spec the operator gave the build, with a probe instead of the build program.
        var spec = job.getSpec().getTemplate().getSpec();
        spec.getContainers().get(0).setCommand(List.of("python3", "-c", """
                import json, os
                def denied(fn):
                    try:
                        fn(); return False
                    except OSError as e:
                        return e.strerror
                status = dict(l.split(':\\t', 1) for l in open('/proc/self/status').read().splitlines() if ':\\t' in l)
                limit = open('/sys/fs/cgroup/memory/memory.limit_in_bytes').read().strip() \\
                    if os.path.exists('/sys/fs/cgroup/memory/memory.limit_in_bytes') else \\
                    open('/sys/fs/cgroup/memory.max').read().strip()
                print(json.dumps({'uid': os.getuid(), 'gid': os.getgid(),
                    'root_write': denied(lambda: open('/probe', 'w')),
                    'opt_write': denied(lambda: open('/opt/pymode/probe', 'w')),
                    'workspace_write': denied(lambda: open('/workspace/probe', 'w')),
                    'token': os.path.exists('/var/run/secrets/kubernetes.io'),
                    'cap_eff': status['CapEff'].strip(), 'no_new_privs': status['NoNewPrivs'].strip(),
                    'memory_limit': int(limit)}))
                """));
        spec.getContainers().get(0).setArgs(null);
        Pod probe = client.pods().inNamespace(APPS).resource(new PodBuilder().withNewMetadata()
                .withName("builder-probe").withNamespace(APPS).endMetadata().withSpec(spec).build()).create();
        Pod done = client.pods().inNamespace(APPS).withName(probe.getMetadata().getName()).waitUntilCondition(
                p -> p != null && p.getStatus() != null && List.of("Succeeded", "Failed").contains(p.getStatus().getPhase()),
                120, TimeUnit.SECONDS);
        String log = client.pods().inNamespace(APPS).withName("builder-probe").getLog().strip();
        assertThat(done.getStatus().getPhase()).as(log).isEqualTo("Succeeded");
        JsonNode seen = JSON.readTree(log.lines().reduce((a, b) -> b).orElseThrow());
        assertThat(seen.get("uid").asInt()).isEqualTo(65532);
        assertThat(seen.get("gid").asInt()).isEqualTo(65532);
        assertThat(seen.get("root_write").asText()).isEqualTo("Read-only file system");
        assertThat(seen.get("opt_write").asText()).isEqualTo("Read-only file system");
        assertThat(seen.get("workspace_write").asBoolean()).as("the emptyDir workspace is writable").isFalse();
        assertThat(seen.get("token").asBoolean()).as("no service-account token is mounted").isFalse();
        assertThat(seen.get("cap_eff").asText()).isEqualTo("0000000000000000");
        assertThat(seen.get("no_new_privs").asText()).isEqualTo("1");
        assertThat(seen.get("memory_limit").asLong()).isEqualTo(4L * 1024 * 1024 * 1024);
        client.pods().inNamespace(APPS).withName("builder-probe").delete();
    }

    @Test
    @Order(5)
    void aJobDeletedByHandMidBuildIsRecreatedOnce() {
        apps.create("deleted-job", "return Response('rebuilt')");
        Job first = apps.awaitJob("deleted-job", j -> true);
        client.batch().v1().jobs().inNamespace(APPS).resource(first)
                .withPropagationPolicy(io.fabric8.kubernetes.api.model.DeletionPropagation.FOREGROUND).delete();
        apps.awaitCondition("deleted-job", "Ready", "True", BUILD_WAIT);
        Job second = apps.buildJobs("deleted-job").get(0);
        assertThat(second.getMetadata().getName()).isEqualTo(first.getMetadata().getName());
        assertThat(second.getMetadata().getUid()).isNotEqualTo(first.getMetadata().getUid());
        assertThat(apps.events("deleted-job", "BuildStarted")).hasSize(1);
        assertThat(apps.events("deleted-job", "BuildRestarted")).as("started once more").hasSize(1);
        assertThat(apps.events("deleted-job", "BuildFailed")).as("a deleted Job is no failed attempt").isEmpty();
    }

    @Test
    @Order(6)
    void aBuildOverItsMemoryLimitStallsNamingTheLimit() {
        upgrade(Map.of("builder.resources.requests.memory", "32Mi", "builder.resources.limits.memory", "32Mi"));
        apps.create("out-of-memory", "return Response('never built')");
        GenericKubernetesResource worker = apps.awaitCondition("out-of-memory", "Stalled", "True", BUILD_WAIT);
        Map<String, String> built = ClusterWorkers.condition(worker, "Built").orElseThrow();
        assertThat(built.get("reason")).isEqualTo("BuildOutOfMemory");
        assertThat(built.get("message")).contains("32Mi").doesNotContain("BackoffLimitExceeded");
        assertThat(apps.events("out-of-memory", "BuildStarted")).as("not retried: the same inputs would fail again")
                .hasSize(1);
    }

    @Test
    @Order(7)
    void aBuildPastItsDeadlineStallsNamingIt() {
        upgrade(Map.of("builder.activeDeadline", "PT1S"));
        apps.create("past-deadline", "return Response('never built')");
        GenericKubernetesResource worker = apps.awaitCondition("past-deadline", "Stalled", "True", BUILD_WAIT);
        Map<String, String> built = ClusterWorkers.condition(worker, "Built").orElseThrow();
        assertThat(built.get("reason")).isEqualTo("BuildDeadlineExceeded");
        assertThat(built.get("message")).contains("PT1S").contains("builder.activeDeadline");
    }

    @Test
    @Order(8)
    void theOtherReplicaTakesOverMidBuildAndAdoptsTheRunningJob() throws Exception {
        upgrade(Map.of("replicaCount", 2));
        client.apps().deployments().inNamespace(SYSTEM).withName(FULLNAME).waitUntilCondition(
                d -> d.getStatus() != null && Integer.valueOf(2).equals(d.getStatus().getReadyReplicas())
                        && Integer.valueOf(2).equals(d.getStatus().getUpdatedReplicas())
                        && (d.getStatus().getReplicas() == null || d.getStatus().getReplicas() == 2), 300, TimeUnit.SECONDS);
        String leader = awaitLeader(null);

        apps.create("failover", "return Response('after failover')");
        Job job = apps.awaitJob("failover", j -> true);
        Instant killed = Instant.now();
        client.pods().inNamespace(SYSTEM).withName(leader).withGracePeriod(0).delete();
        String next = awaitLeader(leader);
        Duration failover = Duration.between(killed, Instant.now());
        System.out.printf("[cluster] leader failover (leader pod killed -> Lease held by the other replica): %.1f s%n",
                failover.toMillis() / 1000.0);
        assertThat(next).isNotEqualTo(leader);

        apps.awaitCondition("failover", "Ready", "True", BUILD_WAIT);
        List<Job> jobs = apps.buildJobs("failover");
        assertThat(jobs).as("the failover worker's Jobs; its events: %s", apps.events("failover", null)).hasSize(1);
        assertThat(jobs.get(0).getMetadata().getUid()).as("the running Job was adopted, not recreated")
                .isEqualTo(job.getMetadata().getUid());
        // (the BuildStarted event itself may be lost: the leader is killed the moment its Job appears)
        assertThat(apps.events("failover", "BuildRestarted")).as("no second start").isEmpty();
        assertThat(operator.scriptUploads("failover")).as("one Cloudflare version for one build").hasSize(1);
        assertThat(operator.edge("failover", "/")).isEqualTo("after failover");
    }

    @Test
    @Order(9)
    void helmUninstallRemovesTheOperatorAndKeepsCrdsAndWorkers() {
        assertThat(operator.uninstall(RELEASE, SYSTEM)).contains("uninstalled");
        assertThat(client.apps().deployments().inNamespace(SYSTEM).withName(FULLNAME).get()).isNull();
        assertThat(client.serviceAccounts().inNamespace(SYSTEM).withName(FULLNAME).get()).isNull();
        assertThat(client.rbac().clusterRoles().withName(FULLNAME).get()).isNull();
        assertThat(client.apiextensions().v1().customResourceDefinitions().withName("pymodeworkers.pymode.dev").get())
                .as("Helm leaves the CRDs of crds/ in place (docs/install.md)").isNotNull();
        assertThat(apps.resources().withName("hello-cluster").get()).isNotNull();
    }

    // --- helpers ---

    /** helm upgrade to the base values plus these (what an earlier test changed goes back to the defaults). */
    private static void upgrade(Map<String, Object> changes) {
        var upgrade = new Helm(Repo.chart()).upgrade().withName(RELEASE).withNamespace(SYSTEM)
                .withKubeConfig(cluster.kubeconfig());
        operator.values(changes).forEach(upgrade::set);
        Release release = upgrade.waitReady().withTimeout(300).call();
        assertThat(release.getStatus()).isEqualTo("deployed");
        // A rolling update: the old pod reconciles (with the old settings) until it is gone and a new one holds
        // the Lease.
        client.apps().deployments().inNamespace(SYSTEM).withName(FULLNAME).waitUntilCondition(d -> d.getStatus() != null
                && d.getStatus().getObservedGeneration() != null
                && d.getStatus().getObservedGeneration() >= d.getMetadata().getGeneration()
                && java.util.Objects.equals(d.getStatus().getReplicas(), d.getStatus().getUpdatedReplicas())
                && java.util.Objects.equals(d.getStatus().getReplicas(), d.getStatus().getReadyReplicas()),
                300, TimeUnit.SECONDS);
        Instant deadline = Instant.now().plus(Duration.ofMinutes(2));
        while (client.pods().inNamespace(SYSTEM).withLabel("app.kubernetes.io/instance", RELEASE).list().getItems()
                .stream().anyMatch(p -> p.getMetadata().getDeletionTimestamp() != null)) {
            assertThat(Instant.now()).as("old operator pods still terminating").isBefore(deadline);
            ClusterWorkers.sleep(200);
        }
        awaitLeader(null);
    }

    private static List<Pod> operatorPods() {
        return client.pods().inNamespace(SYSTEM).withLabel("app.kubernetes.io/instance", RELEASE).list().getItems()
                .stream().filter(p -> p.getMetadata().getDeletionTimestamp() == null).toList();
    }

    /** The Lease holder, once it is not {@code previous}. */
    private static String awaitLeader(String previous) {
        Instant deadline = Instant.now().plus(Duration.ofMinutes(3));
        Set<String> pods = new TreeSet<>();
        while (Instant.now().isBefore(deadline)) {
            Lease lease = client.leases().inNamespace(SYSTEM).withName(FULLNAME).get();
            operatorPods().forEach(p -> pods.add(p.getMetadata().getName()));
            String holder = lease == null || lease.getSpec() == null ? null : lease.getSpec().getHolderIdentity();
            if (holder != null && !holder.isBlank() && !holder.equals(previous)
                    && operatorPods().stream().anyMatch(p -> p.getMetadata().getName().equals(holder))) {
                return holder;
            }
            ClusterWorkers.sleep(100);
        }
        Lease lease = client.leases().inNamespace(SYSTEM).withName(FULLNAME).get();
        StringBuilder logs = new StringBuilder();
        for (Pod pod : operatorPods()) {
            logs.append("\n--- ").append(pod.getMetadata().getName()).append('\n').append(client.pods()
                    .inNamespace(SYSTEM).withName(pod.getMetadata().getName()).tailingLines(20).getLog());
        }
        throw new AssertionError("no new Lease holder among " + pods + " (previous " + previous + "); lease: "
                + (lease == null ? "none" : lease.getSpec()) + logs);
    }
}
