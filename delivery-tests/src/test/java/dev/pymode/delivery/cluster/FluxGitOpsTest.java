package dev.pymode.delivery.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import com.marcnuri.helm.Release;
import dev.pymode.delivery.support.Repo;
import dev.pymode.devenv.GitRepo;
import dev.pymode.devenv.GitServer;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.utils.Serialization;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * GitOps for real: Flux's source-controller and kustomize-controller (built from their Go sources and running in the
 * cluster, hack/cluster/flux.sh) sync a git repository served on loopback that holds this project's {@code
 * examples/}, through the objects of {@code examples/gitops/flux} as a user applies them (only the repository URL
 * and the target namespace differ). The Kustomization's health checks wait for the PyModeWorker to be Ready; a
 * commit that changes the worker's Python reaches the edge without anyone touching the cluster.
 */
@Tag("cluster")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FluxGitOpsTest {

    private static final String SYSTEM = "pymode-gitops";
    private static final String RELEASE = "gitops";
    private static final String RUN = Long.toString(System.currentTimeMillis() % 100_000_000L, 36);
    /** Per run, so a cluster kept between runs (KEEP_RUNNING=1) starts clean. */
    private static final String APPS = "flux-apps-" + RUN;
    private static final String FLUX = "flux-system";
    private static final String WORKER = "hello-worker";
    private static final String ENTRY = "examples/hello-worker/src/entry.py";
    private static final Duration SYNC_WAIT = Duration.ofMinutes(6);

    private static ClusterEnvironment cluster;
    private static KubernetesClient client;
    private static ClusterOperator operator;
    private static GitServer git;
    private static GitRepo repository;
    private static String firstCommit;

    @BeforeAll
    static void setUp(@TempDir Path tmp) throws Exception {
        cluster = ClusterEnvironment.fromEnvironment();
        client = cluster.client();
        assertThat(client.apps().deployments().inNamespace(FLUX).withName("kustomize-controller").get())
                .as("Flux runs in the cluster (hack/cluster/flux.sh, called by hack/test-cluster.sh)").isNotNull();
        operator = ClusterOperator.prepare(cluster, client, tmp.resolve("cloudflare"), SYSTEM, APPS);
        Release release = operator.install(RELEASE, SYSTEM, Map.of());
        assertThat(release.getStatus()).isEqualTo("deployed");

        git = new GitServer(tmp.resolve("git"));
        repository = GitRepo.create(git.root(), "pymode.git");
        firstCommit = repository.commit("main", "the project's examples", examples());
    }

    @AfterAll
    static void tearDown() throws Exception {
        try {
            if (client != null) {
                // Pruning removes the worker while the operator still runs, so its finalizer completes.
                fluxObject("Kustomization", WORKER).delete();
                client.genericKubernetesResources("pymode.dev/v1alpha1", "PyModeWorker").inNamespace(APPS)
                        .withName(WORKER).waitUntilCondition(w -> w == null, 120, java.util.concurrent.TimeUnit.SECONDS);
                fluxObject("GitRepository", "pymode").delete();
                operator.uninstall(RELEASE, SYSTEM);
                client.namespaces().withName(APPS).delete();
            }
        } finally {
            if (client != null) {
                client.close();
            }
            if (git != null) {
                git.close();
            }
            if (operator != null) {
                operator.close();
            }
        }
    }

    @Test
    @Order(1)
    void theExampleKustomizationSyncsTheWorkerAndReportsItReadyOnlyWhenItIs() throws Exception {
        Instant applied = Instant.now();
        GenericKubernetesResource source = example("gitrepository.yaml");
        int port = URI.create(git.baseUrl()).getPort();
        // Pods reach the host's loopback (where the git server listens) through the node's user-mode network.
        source.setAdditionalProperty("spec", with(source, "url", "http://" + cluster.hostAddress() + ":" + port
                + "/pymode.git"));
        client.resource(source).serverSideApply();
        GenericKubernetesResource kustomization = example("hello-worker-kustomization.yaml");
        kustomization.setAdditionalProperty("spec", with(kustomization, "targetNamespace", APPS));
        client.resource(kustomization).serverSideApply();

        GenericKubernetesResource synced = awaitApplied(firstCommit);
        System.out.printf("[flux] apply -> Kustomization Ready (git fetch, kustomize build, apply, worker built in a "
                + "builder Job and Ready): %.1f s%n", Duration.between(applied, Instant.now()).toMillis() / 1000.0);

        // Ready=True of a Kustomization with wait: true means its health checks passed: the worker is Ready for
        // its current generation at that moment, not merely created.
        GenericKubernetesResource worker = client.genericKubernetesResources("pymode.dev/v1alpha1", "PyModeWorker")
                .inNamespace(APPS).withName(WORKER).get();
        assertThat(condition(worker, "Ready")).as("the worker once Flux reports the Kustomization Ready: %s",
                worker.getAdditionalProperties().get("status")).hasValue("True");
        assertThat(String.valueOf(status(worker).get("observedGeneration")))
                .isEqualTo(String.valueOf(worker.getMetadata().getGeneration()));
        assertThat(worker.getMetadata().getLabels()).containsEntry("kustomize.toolkit.fluxcd.io/name", WORKER);
        assertThat(String.valueOf(status(synced).get("lastAppliedRevision"))).isEqualTo("main@sha1:" + firstCommit);
        assertThat(operator.edge(WORKER, "/")).isEqualTo("Hello from PyMode!");
    }

    @Test
    @Order(2)
    void aCommitChangingTheWorkerReachesTheEdge() throws Exception {
        String entry = Files.readString(Repo.root().resolve(ENTRY));
        String text = "Hello from commit " + RUN + "!";
        assertThat(entry).contains("Hello from PyMode!");
        Instant pushed = Instant.now();
        String commit = repository.commit("main", "a new greeting", Map.of(ENTRY,
                entry.replace("Hello from PyMode!", text)));
        // What `flux reconcile source git` does, instead of waiting for the repository's interval.
        fluxObject("GitRepository", "pymode").edit(r -> {
            Map<String, String> annotations = new LinkedHashMap<>(Optional.ofNullable(r.getMetadata().getAnnotations())
                    .orElse(Map.of()));
            annotations.put("reconcile.fluxcd.io/requestedAt", Instant.now().toString());
            r.getMetadata().setAnnotations(annotations);
            return r;
        });
        awaitApplied(commit);
        Duration applied = Duration.between(pushed, Instant.now());

        Instant deadline = Instant.now().plus(SYNC_WAIT);
        String answer = operator.edge(WORKER, "/");
        while (!answer.equals(text) && Instant.now().isBefore(deadline)) {
            ClusterWorkers.sleep(500);
            answer = operator.edge(WORKER, "/");
        }
        assertThat(answer).as("the edge after the commit").isEqualTo(text);
        System.out.printf("[flux] git push -> revision applied: %.1f s; -> the new version answers: %.1f s%n",
                applied.toMillis() / 1000.0, Duration.between(pushed, Instant.now()).toMillis() / 1000.0);
    }

    // --- helpers ---

    /** The project's examples/ as a user's repository holds them (path → content). */
    private static Map<String, String> examples() throws IOException {
        Map<String, String> files = new LinkedHashMap<>();
        try (Stream<Path> walk = Files.walk(Repo.examples())) {
            for (Path file : walk.filter(Files::isRegularFile).sorted().toList()) {
                files.put(Repo.root().relativize(file).toString(), Files.readString(file));
            }
        }
        return files;
    }

    private static GenericKubernetesResource example(String file) throws IOException {
        try (InputStream in = Files.newInputStream(Repo.gitops().resolve("flux").resolve(file))) {
            return Serialization.unmarshal(in, GenericKubernetesResource.class);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> with(GenericKubernetesResource resource, String field, Object value) {
        Map<String, Object> spec = new LinkedHashMap<>((Map<String, Object>) resource.getAdditionalProperties()
                .get("spec"));
        spec.put(field, value);
        return spec;
    }

    private static Resource<GenericKubernetesResource> fluxObject(String kind, String name) {
        String api = kind.equals("Kustomization") ? "kustomize.toolkit.fluxcd.io/v1" : "source.toolkit.fluxcd.io/v1";
        return client.genericKubernetesResources(api, kind).inNamespace(FLUX).withName(name);
    }

    /** Waits until the Kustomization applied this commit and is Ready (health checks passed); fails on Stalled. */
    private static GenericKubernetesResource awaitApplied(String commit) {
        Instant deadline = Instant.now().plus(SYNC_WAIT);
        GenericKubernetesResource kustomization = null;
        while (Instant.now().isBefore(deadline)) {
            kustomization = fluxObject("Kustomization", WORKER).get();
            if (kustomization != null && ("main@sha1:" + commit).equals(status(kustomization).get("lastAppliedRevision"))
                    && condition(kustomization, "Ready").orElse("").equals("True")) {
                return kustomization;
            }
            ClusterWorkers.sleep(500);
        }
        GenericKubernetesResource source = fluxObject("GitRepository", "pymode").get();
        throw new AssertionError("commit " + commit + " not applied and Ready after " + SYNC_WAIT.toMinutes()
                + " min; Kustomization status: " + (kustomization == null ? "none" : status(kustomization))
                + "; GitRepository status: " + (source == null ? "none" : status(source)));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> status(GenericKubernetesResource resource) {
        Object status = resource.getAdditionalProperties().get("status");
        return status instanceof Map<?, ?> map ? (Map<String, Object>) map : Map.of();
    }

    private static Optional<String> condition(GenericKubernetesResource resource, String type) {
        return ClusterWorkers.condition(resource, type).map(c -> String.valueOf(c.get("status")));
    }
}
