package dev.pymode.operator.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pymode.devenv.LocalApiServer;
import dev.pymode.devenv.LocalRegistry;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorker;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorkerStatus;
import dev.pymode.operator.builds.LocalProcessBuildExecutor;
import dev.pymode.operator.builds.ToolchainIdentity;
import dev.pymode.operator.builds.WorkerBuildStage;
import dev.pymode.operator.config.PyModeConfig;
import dev.pymode.operator.events.EventRecorder;
import dev.pymode.operator.oci.OciRegistry;
import dev.pymode.operator.source.resolve.SourceResolver;
import dev.pymode.operator.status.StageResult;
import dev.pymode.operator.support.Builder;
import dev.pymode.operator.support.TestPaths;
import dev.pymode.operator.support.Workers;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.smallrye.config.SmallRyeConfigBuilder;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Benchmark (not a test: it prints figures and asserts nothing about time). Run with `make bench-builds`.
 * Side by side in one run: apply → Built for a fresh bundle-only build (warm runtime) vs the same inputs
 * again (cache hit); then the cost of a no-op reconcile pass (Kubernetes API calls, registry lookups,
 * builds started, wall time) over 1, 10 and 100 built workers.
 */
@Tag("benchmark")
class BuildBenchmark {

    private static final dev.pymode.operator.recipes.RecipeClosure RECIPES = new dev.pymode.operator.recipes.RecipeClosure(
            new dev.pymode.operator.recipes.RecipeCatalog(Thread.currentThread().getContextClassLoader()),
            new com.fasterxml.jackson.databind.ObjectMapper());

    private static final String NS = "bench";

    @Test
    void run() throws Exception {
        Path tmp = Files.createTempDirectory("pymode-bench");
        try (LocalApiServer server = new LocalApiServer().start();
             LocalRegistry registry = new LocalRegistry(tmp.resolve("registry")).start()) {
            AtomicLong apiCalls = new AtomicLong();
            KubernetesClient client = new KubernetesClientBuilder()
                    .withConfig(Config.fromKubeconfig(server.kubeConfigYaml()))
                    .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("count", new Interceptor() {
                        @Override
                        public void before(BasicBuilder builder, io.fabric8.kubernetes.client.http.HttpRequest request,
                                           RequestTags tags) {
                            apiCalls.incrementAndGet();
                        }
                    })).build();
            LocalApiServer.applyCrds(client, TestPaths.generatedCrds());
            client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build())
                    .create();
            String runtimeRef = Builder.publishRuntime(registry.host());
            PyModeConfig config = new SmallRyeConfigBuilder().withMapping(PyModeConfig.class).withDefaultValues(Map.of(
                    "pymode.registry.host", registry.host(), "pymode.registry.plain-http", "true",
                    "pymode.runtime.ref", runtimeRef)).build().getConfigMapping(PyModeConfig.class);
            AtomicLong registryLookups = new AtomicLong();
            ObjectMapper mapper = new ObjectMapper();
            OciRegistry oci = new OciRegistry(registry.host(), true, null, null, mapper) {
                @Override
                public Optional<Artifact> find(String repository, String tag) {
                    registryLookups.incrementAndGet();
                    return super.find(repository, tag);
                }
            };
            Map<String, String> env = new java.util.HashMap<>(Builder.environment());
            env.put("PYMODE_REPO", TestPaths.repoRoot().toString());
            var executor = new LocalProcessBuildExecutor(tmp.resolve("builds"), "python3",
                    TestPaths.repoRoot().resolve("builder-image/bundler/pymode_build.py").toString(), env,
                    Duration.ofMinutes(30), Clock.systemUTC(), mapper);
            var stage = new WorkerBuildStage(Optional.of(oci), executor, client, config,
                    ToolchainIdentity.ofLocalTools(TestPaths.repoRoot()), new EventRecorder(client, Clock.systemUTC()),
                    Clock.systemUTC(), dev.pymode.operator.metrics.OperatorMetrics.none(), RECIPES);
            var resolver = dev.pymode.operator.support.TestSources.resolver(client);

            System.out.println("\n== apply -> Built (warm runtime cache; each row is one worker)");
            System.out.printf("%-34s %10s%n", "case", "seconds");
            // A source no earlier run built (so the registry has no bundle for it), then a second worker with it.
            String unique = "fresh " + System.nanoTime();
            PyModeWorker fresh = create(client, "fresh", unique);
            System.out.printf("%-34s %10.3f%n", "bundle-only build (new source)", untilBuilt(stage, resolver, fresh));
            PyModeWorker same = create(client, "same-inputs", unique);
            System.out.printf("%-34s %10.3f%n", "same inputs (cache hit)", untilBuilt(stage, resolver, same));

            System.out.println("\n== no-op reconcile pass over built workers (all inputs unchanged)");
            System.out.printf("%-8s %12s %16s %10s %14s%n", "workers", "API calls", "registry lookups", "builds",
                    "ms per worker");
            List<PyModeWorker> workers = new ArrayList<>();
            List<PyModeWorkerStatus> statuses = new ArrayList<>();
            for (int n : new int[] {1, 10, 100}) {
                while (workers.size() < n) {
                    PyModeWorker worker = create(client, "w" + workers.size(), "A"); // equal inputs: one bundle
                    PyModeWorkerStatus status = new PyModeWorkerStatus();
                    untilBuilt(stage, resolver, worker, status); // the first one builds it, the rest hit the cache
                    workers.add(worker);
                    statuses.add(status);
                }
                long calls = apiCalls.get();
                long lookups = registryLookups.get();
                int buildsBefore = countBuilds(tmp.resolve("builds"));
                long start = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    StageResult result = reconcile(stage, resolver, workers.get(i), statuses.get(i));
                    if (!result.succeeded()) {
                        throw new IllegalStateException("worker " + i + " is not built: " + result.message());
                    }
                }
                double ms = (System.nanoTime() - start) / 1e6 / n;
                System.out.printf("%-8d %12d %16d %10d %14.2f%n", n, apiCalls.get() - calls,
                        registryLookups.get() - lookups, countBuilds(tmp.resolve("builds")) - buildsBefore, ms);
            }
            client.close();
        }
    }

    private static PyModeWorker create(KubernetesClient client, String name, String variant) {
        return client.resource(Workers.inline(NS, name, "from pymode.workers import Response\n\n"
                + "def on_fetch(request, env):\n    return Response('bench " + variant + "')\n")).create();
    }

    private static StageResult reconcile(WorkerBuildStage stage, SourceResolver resolver, PyModeWorker worker,
                                         PyModeWorkerStatus status) {
        return stage.run(worker, resolver.resolve(worker).source(), "src/entry.py", status);
    }

    private static double untilBuilt(WorkerBuildStage stage, SourceResolver resolver, PyModeWorker worker)
            throws InterruptedException {
        return untilBuilt(stage, resolver, worker, new PyModeWorkerStatus());
    }

    private static double untilBuilt(WorkerBuildStage stage, SourceResolver resolver, PyModeWorker worker,
                                     PyModeWorkerStatus status) throws InterruptedException {
        long start = System.nanoTime();
        while (true) {
            StageResult result = reconcile(stage, resolver, worker, status);
            if (result.succeeded()) {
                return (System.nanoTime() - start) / 1e9;
            }
            // any failed attempt ends the measurement (its reason now names the cause, not only BuildFailed)
            if (result.outcome() == StageResult.Outcome.FAILED_TERMINAL
                    || result.outcome() == StageResult.Outcome.FAILED_TRANSIENT) {
                throw new IllegalStateException(result.message());
            }
            Thread.sleep(200);
        }
    }

    private static int countBuilds(Path dir) throws java.io.IOException {
        Path ns = dir.resolve(NS);
        if (!Files.isDirectory(ns)) {
            return 0;
        }
        try (var list = Files.list(ns)) {
            return (int) list.count();
        }
    }
}
