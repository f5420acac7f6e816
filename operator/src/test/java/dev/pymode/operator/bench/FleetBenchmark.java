package dev.pymode.operator.bench;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.pymode.operator.api.v1alpha1.common.LocalObjectReference;
import dev.pymode.operator.api.v1alpha1.worker.CloudflareTarget;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorker;
import dev.pymode.operator.api.v1alpha1.workflow.PyModeWorkflow;
import dev.pymode.operator.api.v1alpha1.workflow.PyModeWorkflowSpec;
import dev.pymode.operator.status.Conditions;
import dev.pymode.operator.support.EndToEndResource;
import dev.pymode.operator.support.Namespaces;
import dev.pymode.operator.support.Standin;
import dev.pymode.operator.support.Workers;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Benchmark (prints figures, asserts nothing about time): `make bench-fleet`, issue #18. A fleet of PyModeWorkers
 * sharing one bundle, spread over namespaces, plus scheduled PyModeWorkflows, against the real API server, the
 * registry, local builds and the Cloudflare stand-in, with the operator's production listing interval. Phases:
 * converge from cold; steady state (every worker resynced several times); 10% churn of a deploy setting; every
 * worker's status lost (a re-apply into a new cluster); an operator restart (this JVM's operator stops and the
 * packaged one, {@code operator/target/quarkus-app}, starts as a new process with empty caches, as a new pod would).
 * For each: wall time, Cloudflare calls (the stand-in's log: every API call, retries included), uploads, API-server
 * requests, operator heap and RSS (one JVM: the operator and this benchmark; the restarted operator's own process
 * for the restart, run with the image's environment (its JVM options and malloc settings) in a container of the
 * chart's default memory limit). The figures go to stdout
 * and, as one JSON line, to {@code -Dfleet.out=FILE} (hack/bench-fleet.sh prints two runs side by side).
 *
 * <p>Sizes: {@code -Dfleet.workers} (200), {@code -Dfleet.namespaces} (10), {@code -Dfleet.workflows} (a tenth of
 * the workers), {@code -Dfleet.steadySeconds} (300), {@code -Dfleet.resync} (PT1M: the periodic resync, 10 minutes
 * in production, shortened so the steady window sees several).
 */
@QuarkusTest
@QuarkusTestResource(value = FleetBenchmark.Fleet.class, restrictToAnnotatedClass = true)
@TestProfile(FleetBenchmark.FastResync.class)
@Tag("benchmark")
class FleetBenchmark {

    static final int WORKERS = Integer.getInteger("fleet.workers", 200);
    /** The chart's default memory limit of the operator (charts/pymode-operator/values.yaml), as MaxRAM. */
    static final String CHART_MEMORY_LIMIT = "512m";
    static final int NAMESPACES = Integer.getInteger("fleet.namespaces", 10);
    static final int WORKFLOWS = Integer.getInteger("fleet.workflows", WORKERS / 10);
    static final Duration STEADY = Duration.ofSeconds(Long.getLong("fleet.steadySeconds", 300));
    static final String RESYNC = System.getProperty("fleet.resync", "PT1M");
    static final Duration CONVERGE_TIMEOUT = Duration.ofMinutes(Long.getLong("fleet.timeoutMinutes", 60));
    /** New workers applied one at a time in the cache-hit phase. */
    static final int CACHE_HITS = 20;
    /** Phases left out, comma-separated ({@code fleet.skip=status-lost,cache-hit}; status-lost alone takes ~15 min
     * at 1,000 workers). */
    static final java.util.Set<String> SKIPPED = java.util.Set.of(System.getProperty("fleet.skip", "").split(","));
    private static final Pattern LOG_LINE = Pattern.compile(
            "^\\[cfstandin] (GET|PUT|POST|PATCH|DELETE) (/[^ ?]*)\\S* \u2192 ", Pattern.MULTILINE);
    /**
     * JOSDK's debug line after each reconcile (operators built before OperatorBeans.operatorSdkMetrics export no
     * reconcile metrics of JOSDK's, docs/operations.md "Metrics"; hack/bench-fleet.sh also runs older ones).
     */
    private static final Pattern RECONCILED = Pattern.compile(
            "Event processing finished\\. Scope: ExecutionScope\\{resource=ResourceID\\{name='([^']+)', namespace='([^']+)'");
    private static final Pattern HEAP_USED = Pattern.compile(
            "^jvm_memory_used_bytes\\{[^}]*area=\"heap\"[^}]*} ([0-9.eE+]+)$", Pattern.MULTILINE);
    private static final Pattern API_REQUESTS = Pattern.compile("^apiserver_request_total\\{[^}]*} ([0-9.eE+]+)$",
            Pattern.MULTILINE);

    /**
     * The production listing interval, not the e2e tier's 2 s; and a stand-in that keeps at most 32 script runtimes
     * (idle ones stop after 5 minutes, stopped ones start on their next request), so a fleet fits this machine.
     */
    public static class Fleet extends EndToEndResource {
        /** The operator's configuration as given to this JVM's, for the restarted operator process. */
        static Map<String, String> operatorConfig = Map.of();

        @Override
        protected dev.pymode.devenv.LocalCloudflare configure(dev.pymode.devenv.LocalCloudflare standin) {
            return standin.withRuntimeLimits(32, 300);
        }

        @Override
        public Map<String, String> start() {
            Map<String, String> config = new HashMap<>(super.start());
            // hack/bench-fleet.sh also runs this class against operators from before the setting existed, which
            // refuse unknown pymode.* properties
            if (knowsSetting("listingInterval")) {
                config.put("pymode.cloudflare.listing-interval", "PT2M");
            } else {
                config.remove("pymode.cloudflare.listing-interval");
            }
            config.put("quarkus.log.category.\"dev.pymode\".level", "WARN");
            operatorConfig = Map.copyOf(config);
            return config;
        }
    }

    private static boolean knowsSetting(String name) {
        return java.util.Arrays.stream(dev.pymode.operator.config.PyModeConfig.Cloudflare.class.getMethods())
                .anyMatch(m -> m.getName().equals(name));
    }

    public static class FastResync implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.operator-sdk.controllers.pymodeworker.max-reconciliation-interval", RESYNC);
        }
    }

    @Inject
    KubernetesClient client;

    @Inject
    Operator operator;

    /** This JVM's operator's metrics (JOSDK's reconcile timer, the Cloudflare limiter's waits and refusals). */
    @io.quarkus.test.common.http.TestHTTPResource("/q/metrics")
    java.net.URL metricsUrl;

    /** The metrics when the current phase began. */
    private PrometheusText phaseStart = PrometheusText.empty();

    private final Map<String, Map<String, Object>> results = new LinkedHashMap<>();

    private static final String HANDLER = """
            from pymode.workers import Response

            def on_fetch(request, env):
                return Response("fleet")
            """;

    private static String namespace(int i) {
        return "fleet-" + (i % NAMESPACES);
    }

    private static String name(int i) {
        return "w" + i;
    }

    /**
     * Cloudflare calls so far by operation, from the stand-in's own log (one line per API call; the same for any
     * operator version, so a baseline run counts alike). Path values become placeholders.
     */
    private static Map<String, Double> calls() throws Exception {
        Map<String, Double> byOperation = new HashMap<>();
        Matcher m = LOG_LINE.matcher(EndToEndResource.cloudflare.log());
        while (m.find()) {
            String path = m.group(2).replaceFirst("^/accounts/[^/]+/", "")
                    .replaceFirst("^(workers/scripts)/[^/]+", "$1/{script}")
                    .replaceFirst("^(storage/kv/namespaces|d1/database|r2/buckets)/[^/]+", "$1/{id}")
                    .replaceFirst("^zones/[^/]+", "zones/{zone}").replaceFirst("(routes|versions|deployments)/[^/]+$", "$1/{id}");
            byOperation.merge(m.group(1) + " " + path, 1.0, Double::sum);
        }
        return byOperation;
    }

    private double apiServerRequests() {
        return sum(API_REQUESTS, client.raw("/metrics"));
    }

    private static double uploads(Map<String, Double> calls) {
        return calls.getOrDefault("PUT workers/scripts/{script}", 0.0)
                + calls.getOrDefault("POST workers/scripts/{script}/versions", 0.0);
    }

    private static Map<String, Double> delta(Map<String, Double> after, Map<String, Double> before) {
        Map<String, Double> d = new HashMap<>();
        after.forEach((k, v) -> {
            double x = v - before.getOrDefault(k, 0.0);
            if (x > 0) {
                d.put(k, x);
            }
        });
        return d;
    }

    /**
     * The operator image's environment: every {@code ENV} of operator/src/main/docker/Dockerfile (its JVM options in
     * {@code JAVA_TOOL_OPTIONS}, and what else the image sets for the JVM, such as glibc's malloc arenas).
     */
    private static Map<String, String> imageEnvironment() throws Exception {
        Path dockerfile = Path.of(System.getProperty("pymode.repo-root", ".")).resolve(
                "operator/src/main/docker/Dockerfile");
        String text = Files.readString(dockerfile).replace("\\\n", " ");
        Map<String, String> env = new LinkedHashMap<>();
        Matcher line = Pattern.compile("^ENV (.*)$", Pattern.MULTILINE).matcher(text);
        while (line.find()) {
            Matcher pair = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)=(?:\"([^\"]*)\"|(\\S+))").matcher(line.group(1));
            while (pair.find()) {
                env.put(pair.group(1), pair.group(2) != null ? pair.group(2) : pair.group(3));
            }
        }
        if (!env.containsKey("JAVA_TOOL_OPTIONS")) {
            throw new AssertionError("no JAVA_TOOL_OPTIONS in " + dockerfile);
        }
        // the image's temp directory is its own; the restarted operator's is set on the command line
        env.put("JAVA_TOOL_OPTIONS", env.get("JAVA_TOOL_OPTIONS").replace("-Djava.io.tmpdir=/tmp", "").trim());
        return env;
    }

    private static long rssMiB() throws Exception {
        return rssMiB(ProcessHandle.current().pid());
    }

    private static long rssMiB(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
            }
        }
        return -1;
    }

    private static long heapAfterGcMiB() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / (1024 * 1024);
    }

    private boolean ready(PyModeWorker w, boolean needDeployment) {
        if (w.getStatus() != null) {
            Conditions.find(w.getStatus().getConditions(), "Stalled").filter(c -> "True".equals(c.getStatus()))
                    .ifPresent(c -> {
                        throw new AssertionError(w.getMetadata().getNamespace() + "/" + w.getMetadata().getName()
                                + " stalled: " + c.getMessage());
                    });
        }
        return w.getStatus() != null && Conditions.isTrue(w.getStatus().getConditions(), "Ready")
                && w.getMetadata().getGeneration().equals(w.getStatus().getObservedGeneration())
                && (!needDeployment || w.getStatus().getDeployment() != null);
    }

    /** Polls until every fleet worker is Ready (with a deployment); returns when each first was, by key. */
    private Map<String, Long> awaitAllReady(Map<String, Long> since, boolean needDeployment) throws Exception {
        Map<String, Long> readyAt = new ConcurrentHashMap<>();
        long deadline = System.nanoTime() + CONVERGE_TIMEOUT.toNanos();
        while (readyAt.size() < since.size()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("only " + readyAt.size() + " of " + since.size() + " workers Ready after "
                        + CONVERGE_TIMEOUT);
            }
            long now = System.nanoTime();
            for (PyModeWorker w : client.resources(PyModeWorker.class).inAnyNamespace()
                    .withLabel("bench", "fleet").list().getItems()) {
                String key = w.getMetadata().getNamespace() + "/" + w.getMetadata().getName();
                if (since.containsKey(key) && !readyAt.containsKey(key) && ready(w, needDeployment)) {
                    readyAt.put(key, now);
                }
            }
            Thread.sleep(1000);
        }
        return readyAt;
    }

    private PrometheusText scrape() throws Exception {
        return scrape(metricsUrl.toString());
    }

    private static PrometheusText scrape(String url) throws Exception {
        var http = java.net.http.HttpClient.newHttpClient();
        return new PrometheusText(http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body());
    }

    /** Marks the start of a phase for the operator figures {@link #record} reports. */
    private void beginPhase() throws Exception {
        phaseStart = scrape();
    }

    /**
     * What the operator's own metrics say about a phase: PyModeWorker reconciles (JOSDK's started / success counters
     * and its execution timer: count, mean, and p50/p99 as the upper bound of the timer's bucket holding them) and
     * the Cloudflare limiter (calls that waited for a permit and for how long, calls refused).
     */
    private static Map<String, Object> operatorFigures(PrometheusText before, PrometheusText after) {
        String worker = "controller_name=\"pymodeworker\"";
        String timer = "reconciliations_execution_duration_seconds";
        Map<String, Object> figures = new LinkedHashMap<>();
        double reconciles = after.sum(timer + "_count", worker) - before.sum(timer + "_count", worker);
        var buckets = PrometheusText.difference(after.buckets(timer, worker), before.buckets(timer, worker));
        figures.put("reconciles", reconciles);
        figures.put("reconcilesStarted", after.sum("reconciliations_started_total", worker)
                - before.sum("reconciliations_started_total", worker));
        figures.put("reconcilesSucceeded", after.sum("reconciliations_success_total", worker)
                - before.sum("reconciliations_success_total", worker));
        figures.put("reconcileMeanMs", reconciles == 0 ? Double.NaN
                : 1000 * (after.sum(timer + "_sum", worker) - before.sum(timer + "_sum", worker)) / reconciles);
        figures.put("reconcileP50Ms", 1000 * PrometheusText.quantileBound(buckets, 0.5));
        figures.put("reconcileP99Ms", 1000 * PrometheusText.quantileBound(buckets, 0.99));
        figures.put("permitWaits", after.sum("pymode_cloudflare_permit_wait_seconds_count", null)
                - before.sum("pymode_cloudflare_permit_wait_seconds_count", null));
        figures.put("permitWaitSeconds", after.sum("pymode_cloudflare_permit_wait_seconds_sum", null)
                - before.sum("pymode_cloudflare_permit_wait_seconds_sum", null));
        figures.put("refused", after.sum("pymode_cloudflare_refused_total", null)
                - before.sum("pymode_cloudflare_refused_total", null));
        return figures;
    }

    private void record(String phase, double seconds, Map<String, Double> calls, double apiRequests,
                        Map<String, Object> extra) throws Exception {
        record(phase, seconds, calls, apiRequests, extra, operatorFigures(phaseStart, scrape()));
    }

    private void record(String phase, double seconds, Map<String, Double> calls, double apiRequests,
                        Map<String, Object> extra, Map<String, Object> operator) throws Exception {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("seconds", Math.round(seconds * 10) / 10.0);
        row.put("cloudflareCalls", calls.values().stream().mapToDouble(Double::doubleValue).sum());
        row.put("uploads", uploads(calls));
        row.put("apiServerRequests", apiRequests);
        row.put("heapMiB", heapAfterGcMiB());
        row.put("rssMiB", rssMiB());
        row.putAll(operator);
        row.putAll(extra);
        results.put(phase, row);
        System.out.printf("%-34s %s%n", phase, row);
        calls.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed()).limit(8)
                .forEach(e -> System.out.printf("      %8.0f  %s%n", e.getValue(), e.getKey()));
    }

    /**
     * The least time the operator's limiter lets these calls take (its burst at once, the rest at its rate): what a
     * phase bound by the Cloudflare budget cannot beat on one token, whatever the operator does between calls.
     */
    private static double budgetFloorSeconds(Map<String, Double> calls) {
        // read by name with PyModeConfig.Cloudflare's defaults, not injected: hack/bench-fleet.sh runs this class
        // against a baseline operator whose config may predate the settings
        var config = org.eclipse.microprofile.config.ConfigProvider.getConfig();
        int rate = config.getOptionalValue("pymode.cloudflare.requests-per-five-minutes", Integer.class).orElse(1000);
        int burst = config.getOptionalValue("pymode.cloudflare.request-burst", Integer.class).orElse(200);
        double total = calls.values().stream().mapToDouble(Double::doubleValue).sum();
        return Math.round(Math.max(0, total - burst) * 3000.0 / rate) / 10.0;
    }

    private static double percentile(List<Long> sortedMillis, double p) {
        if (sortedMillis.isEmpty()) {
            return Double.NaN;
        }
        return sortedMillis.get((int) Math.min(sortedMillis.size() - 1, Math.ceil(p * sortedMillis.size()) - 1));
    }

    /**
     * Stops this JVM's operator (its controllers and the account-listing refresher) and starts the packaged one as
     * a new process with the same configuration, as a pod restart would; the phase ends when the new operator has
     * reconciled every worker of the fleet once (its log says so) and every one is Ready.
     */
    private void restart(java.util.Set<String> fleet) throws Exception {
        Path jar = Path.of(System.getProperty("pymode.repo-root", ".")).resolve(
                "operator/target/quarkus-app/quarkus-run.jar");
        if (!Files.isRegularFile(jar)) {
            throw new AssertionError("no packaged operator at " + jar + " for the restart phase: "
                    + "mvn -pl operator -am package -DskipTests first (hack/bench-fleet.sh does)");
        }
        operator.stop();
        stopListingRefresher();
        // stopping the operator closed the Kubernetes client it shares with this benchmark
        client = new io.fabric8.kubernetes.client.KubernetesClientBuilder().build();
        Map<String, Double> before = calls();
        double apiBefore = apiServerRequests();
        long t0 = System.nanoTime();
        Path dir = Files.createTempDirectory("pymode-fleet-restart");
        int port;
        try (var socket = new java.net.ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        List<String> command = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElse("java"),
                "-Djava.io.tmpdir=" + dir, "-Dkubeconfig=" + System.getProperty("kubeconfig"),
                "-Dquarkus.http.port=" + port, "-Dquarkus.log.file.path=" + dir.resolve("operator.log")));
        Map<String, String> config = new HashMap<>(Fleet.operatorConfig);
        config.putAll(new FastResync().getConfigOverrides());
        config.remove("quarkus.log.file.path");
        config.put("quarkus.log.category.\"io.javaoperatorsdk.operator.processing.event.EventProcessor\".level", "DEBUG");
        config.forEach((k, v) -> command.add("-D" + k + "=" + v));
        command.addAll(List.of("-jar", jar.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("stdout").toFile());
        // the environment the operator image runs with, in a container of the chart's default memory limit
        builder.environment().putAll(imageEnvironment());
        builder.environment().merge("JAVA_TOOL_OPTIONS", " -XX:MaxRAM=" + CHART_MEMORY_LIMIT, String::concat);
        Process process = builder.start();
        try {
            var http = java.net.http.HttpClient.newHttpClient();
            var metrics = java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://127.0.0.1:" + port + "/q/metrics")).build();
            long deadline = System.nanoTime() + CONVERGE_TIMEOUT.toNanos();
            String text = "";
            while (true) {
                if (!process.isAlive()) {
                    throw new AssertionError("the restarted operator exited with " + process.exitValue() + ": "
                            + Files.readString(dir.resolve("stdout")));
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("the restarted operator did not reconcile the fleet in "
                            + CONVERGE_TIMEOUT + "; its output is in " + dir);
                }
                java.util.Set<String> reconciled = new java.util.HashSet<>();
                Matcher m = RECONCILED.matcher(Files.readString(dir.resolve("stdout")));
                while (m.find()) {
                    reconciled.add(m.group(2) + "/" + m.group(1));
                }
                if (reconciled.containsAll(fleet)) {
                    text = http.send(metrics, java.net.http.HttpResponse.BodyHandlers.ofString()).body();
                    Map<String, Long> since = new HashMap<>();
                    fleet.forEach(key -> since.put(key, 0L));
                    awaitAllReady(since, true);
                    break;
                }
                Thread.sleep(500);
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            Map<String, Object> own = new LinkedHashMap<>();
            own.put("heapMiB", Math.round(sum(HEAP_USED, text) / (1024 * 1024)));
            own.put("rssMiB", rssMiB(process.pid()));
            // the new process's metrics from its start: what its own /q/metrics says (docs/operations.md "Metrics")
            record("operator restart", seconds, delta(calls(), before), apiServerRequests() - apiBefore, own,
                    operatorFigures(PrometheusText.empty(), scrape("http://127.0.0.1:" + port + "/q/metrics")));
        } finally {
            process.destroy();
            if (!process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
    }

    /**
     * The account listings' refresher goes with the operator (baseline operators before issue #18 have none; those
     * before issue #16 keep it in the cloudflare package).
     */
    private static void stopListingRefresher() throws Exception {
        for (String name : List.of("dev.pymode.operator.inventory.AccountInventories",
                "dev.pymode.operator.cloudflare.AccountInventories")) {
            Class<?> type;
            try {
                type = Class.forName(name);
            } catch (ClassNotFoundException e) {
                continue;
            }
            ((AutoCloseable) io.quarkus.arc.Arc.container().instance(type).get()).close();
            return;
        }
    }

    private static double sum(Pattern pattern, String text) {
        Matcher m = pattern.matcher(text);
        double total = 0;
        while (m.find()) {
            total += Double.parseDouble(m.group(1));
        }
        return total;
    }

    /**
     * {@value #CACHE_HITS} new workers with the fleet's handler, applied one after another (each once the one before
     * is Ready), as a team adds a worker to a running fleet: its build is a cache hit, so apply -> Ready is the
     * operator's queue, the deploy's calls and the status writes. Polled every 50 ms, one resource at a time.
     */
    private Map<String, Long> cacheHits() throws Exception {
        beginPhase();
        Map<String, Double> before = calls();
        double apiBefore = apiServerRequests();
        long t0 = System.nanoTime();
        Map<String, Long> applied = new LinkedHashMap<>();
        List<Long> latencies = new ArrayList<>();
        for (int k = 0; k < CACHE_HITS; k++) {
            String ns = namespace(k);
            String name = "w-new-" + k;
            PyModeWorker worker = Workers.inline(ns, name, HANDLER);
            worker.getMetadata().setLabels(Map.of("bench", "fleet"));
            long at = System.nanoTime();
            client.resource(worker).create();
            applied.put(ns + "/" + name, at);
            long deadline = at + Duration.ofMinutes(5).toNanos();
            for (PyModeWorker w = null; w == null || !ready(w, true);
                 w = client.resources(PyModeWorker.class).inNamespace(ns).withName(name).get()) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError(ns + "/" + name + " not Ready 5 minutes after it was applied");
                }
                Thread.sleep(50);
            }
            latencies.add((System.nanoTime() - at) / 1_000_000);
        }
        latencies.sort(Long::compare);
        record("new worker, cache hit", (System.nanoTime() - t0) / 1e9, delta(calls(), before),
                apiServerRequests() - apiBefore, Map.of("applyToReadyP50Ms", percentile(latencies, 0.5),
                        "applyToReadyP99Ms", percentile(latencies, 0.99)));
        return applied;
    }

    /** Every status lost, as after a re-apply into a new cluster: the scripts are there already. */
    private void statusLost(java.util.Set<String> fleet) throws Exception {
        beginPhase();
        Map<String, Double> before = calls();
        double apiBefore = apiServerRequests();
        long t0 = System.nanoTime();
        Map<String, Long> edited = new LinkedHashMap<>();
        for (String key : fleet) {
            String[] parts = key.split("/");
            client.resources(PyModeWorker.class).inNamespace(parts[0]).withName(parts[1]).editStatus(w -> {
                w.getStatus().setDeployment(null);
                return w;
            });
            edited.put(key, System.nanoTime());
        }
        // the status change alone does not start a reconcile: the resync (or the listing) does
        awaitAllReady(edited, true);
        Map<String, Double> readopted = delta(calls(), before);
        record("status lost (re-apply)", (System.nanoTime() - t0) / 1e9, readopted, apiServerRequests() - apiBefore,
                Map.of("budgetFloorSeconds", budgetFloorSeconds(readopted)));
    }

    @Test
    void run() throws Exception {
        System.out.printf("%n== fleet: %d workers (one shared bundle) in %d namespaces, %d scheduled workflows; "
                + "resync every %s, steady window %s%n", WORKERS, NAMESPACES, WORKFLOWS, RESYNC, STEADY);
        for (int n = 0; n < NAMESPACES; n++) {
            Namespaces.ensure(client, "fleet-" + n);
        }

        // 1. converge from cold
        beginPhase();
        Map<String, Double> before = calls();
        double apiBefore = apiServerRequests();
        long t0 = System.nanoTime();
        Map<String, Long> created = new LinkedHashMap<>();
        for (int i = 0; i < WORKERS; i++) {
            PyModeWorker worker = Workers.inline(namespace(i), name(i), HANDLER);
            worker.getMetadata().setLabels(Map.of("bench", "fleet"));
            client.resource(worker).create();
            created.put(namespace(i) + "/" + name(i), System.nanoTime());
        }
        for (int i = 0; i < WORKFLOWS; i++) {
            var workflow = new PyModeWorkflow();
            workflow.setMetadata(new ObjectMetaBuilder().withName("nightly-" + i).withNamespace(namespace(i)).build());
            var spec = new PyModeWorkflowSpec();
            spec.setWorkerRef(new LocalObjectReference(name(i)));
            spec.setWorkflow("nightly");
            spec.setSchedule((i % 60) + " 3 * * *");
            workflow.setSpec(spec);
            client.resource(workflow).create();
        }
        awaitAllReady(created, true);
        Map<String, Double> converged = delta(calls(), before);
        record("converge from cold", (System.nanoTime() - t0) / 1e9, converged, apiServerRequests() - apiBefore,
                Map.of("budgetFloorSeconds", budgetFloorSeconds(converged)));

        // 2. steady state: nothing changes, every worker resyncs several times
        beginPhase();
        before = calls();
        apiBefore = apiServerRequests();
        Thread.sleep(STEADY.toMillis());
        Map<String, Double> steady = delta(calls(), before);
        double perFiveMinutes = steady.values().stream().mapToDouble(Double::doubleValue).sum()
                * 300.0 / STEADY.toSeconds();
        record("steady state", STEADY.toSeconds(), steady, apiServerRequests() - apiBefore,
                Map.of("cloudflareCallsPer5Min", Math.round(perFiveMinutes)));

        // 3. new workers one at a time whose bundle the fleet already built: apply -> Ready at fleet size
        if (!SKIPPED.contains("cache-hit")) {
            created.putAll(cacheHits());
        }

        // 4. churn: a deploy setting of every 10th worker changes (no rebuild)
        beginPhase();
        before = calls();
        apiBefore = apiServerRequests();
        Map<String, Long> edited = new LinkedHashMap<>();
        t0 = System.nanoTime();
        for (int i = 0; i < WORKERS; i += 10) {
            client.resources(PyModeWorker.class).inNamespace(namespace(i)).withName(name(i)).edit(w -> {
                var cloudflare = w.getSpec().getCloudflare() == null ? new CloudflareTarget()
                        : w.getSpec().getCloudflare();
                cloudflare.setCompatibilityDate("2025-06-01");
                w.getSpec().setCloudflare(cloudflare);
                return w;
            });
            edited.put(namespace(i) + "/" + name(i), System.nanoTime());
        }
        Map<String, Long> readyAt = awaitAllReady(edited, true);
        List<Long> latencies = new ArrayList<>();
        edited.forEach((key, at) -> latencies.add((readyAt.get(key) - at) / 1_000_000));
        latencies.sort(Long::compare);
        record("10% churn (deploy setting)", (System.nanoTime() - t0) / 1e9, delta(calls(), before),
                apiServerRequests() - apiBefore, Map.of("applyToReadyP50Ms", percentile(latencies, 0.5),
                        "applyToReadyP99Ms", percentile(latencies, 0.99)));

        // 5. every status lost, as after a re-apply into a new cluster: the scripts are there already
        if (!SKIPPED.contains("status-lost")) {
            statusLost(created.keySet());
        }

        // 6. operator restart: a fresh process, caches empty, every status as the old operator left it
        restart(created.keySet());

        System.out.println("\n== what the Cloudflare stand-in ran (script runtimes: at most 32 at once, started on "
                + "demand, stopped when idle or evicted)");
        System.out.println(Standin.adminJson("/__standin/runtimes"));
        String out = System.getProperty("fleet.out");
        if (out != null) {
            Map<String, Object> all = new LinkedHashMap<>();
            all.put("workers", WORKERS);
            all.put("namespaces", NAMESPACES);
            all.put("workflows", WORKFLOWS);
            all.put("resync", RESYNC);
            all.put("phases", results);
            Files.writeString(Path.of(out), new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(all)
                    + "\n");
        }
    }
}
