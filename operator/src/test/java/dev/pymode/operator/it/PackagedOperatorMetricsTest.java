package dev.pymode.operator.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayInputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.pymode.devenv.LocalApiServer;
import dev.pymode.operator.support.TestPaths;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The packaged operator (target/quarkus-app/quarkus-run.jar, what the image runs) in the prod profile, as its own
 * JVM against a real kube-apiserver: its /q/metrics carries the Java Operator SDK's per-controller series the
 * chart's dashboard and PrometheusRule read. The @QuarkusTest tiers cannot see this: in the test profile QOSDK's
 * default Metrics bean happened to be wired after Micrometer bound it, in the packaged jar it was Metrics.NOOP
 * (OperatorBeans.operatorSdkMetrics). Tagged "packaged": the pom runs it in the integration-test phase, after
 * package built the jar.
 */
@Tag("packaged")
class PackagedOperatorMetricsTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(90);

    private static LocalApiServer server;
    private static KubernetesClient client;
    private static Process operator;
    private static Path dir;
    private static int port;
    private static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void startPackagedOperator() throws Exception {
        Path jar = Path.of(System.getProperty("pymodetest.packaged-app",
                TestPaths.repoRoot().resolve("operator/target/quarkus-app/quarkus-run.jar").toString()));
        assertThat(jar).as("the packaged operator (mvn -pl operator -am package)").isRegularFile();
        server = new LocalApiServer().start();
        client = server.newClient();
        LocalApiServer.applyCrds(client, TestPaths.generatedCrds());
        // a worker that exists before the operator starts: its first reconcile runs while the operator starts up
        client.load(new ByteArrayInputStream(worker("present-at-start").getBytes(StandardCharsets.UTF_8))).create();
        dir = Files.createTempDirectory("pymode-packaged");
        Path kubeconfig = server.writeKubeConfig(dir.resolve("kubeconfig"));
        try (var socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        operator = new ProcessBuilder(List.of(ProcessHandle.current().info().command().orElse("java"), "-Xmx256m",
                "-Djava.io.tmpdir=" + dir, "-Dkubeconfig=" + kubeconfig, "-Dquarkus.http.port=" + port,
                "-jar", jar.toString()))
                .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(dir.resolve("stdout").toFile())
                .start();
        await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(500)).until(() -> {
            assertThat(operator.isAlive()).as("the operator exited: %s", output()).isTrue();
            try {
                return get("/q/health/ready").statusCode() == 200;
            } catch (java.io.IOException notListeningYet) {
                return false;
            }
        });
    }

    @AfterAll
    static void stop() throws Exception {
        if (operator != null) {
            operator.destroy();
            if (!operator.waitFor(20, TimeUnit.SECONDS)) {
                operator.destroyForcibly().waitFor();
            }
        }
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String output() {
        try {
            return Files.readString(dir.resolve("stdout"));
        } catch (java.io.IOException e) {
            return "(no output: " + e + ")";
        }
    }

    /** A worker whose ConfigMap does not exist: the reconcile reports that in the status, which is all this needs. */
    private static String worker(String name) {
        return """
                apiVersion: pymode.dev/v1alpha1
                kind: PyModeWorker
                metadata:
                  name: %s
                  namespace: default
                spec:
                  source:
                    configMapRef:
                      name: absent
                  cloudflare:
                    workersDev: true
                """.formatted(name);
    }

    private static double sample(String text, String series) {
        return text.lines().filter(l -> l.startsWith(series + " ")).mapToDouble(
                l -> Double.parseDouble(l.substring(series.length() + 1))).sum();
    }

    @Test
    void countsTheReconcilesOfResourcesFoundAtStartUpAsStarted() throws Exception {
        String worker = "{controller_name=\"pymodeworker\"}";
        // the worker present at start-up was reconciled (its Ready condition says why it is not ready)
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() -> {
            var w = client.genericKubernetesResources("pymode.dev/v1alpha1", "PyModeWorker").inNamespace("default")
                    .withName("present-at-start").get();
            return w != null && w.getAdditionalProperties().get("status") != null;
        });
        String text = await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(
                () -> get("/q/metrics").body(), t -> sample(t, "reconciliations_success_total" + worker)
                        + sample(t, "reconciliations_failure_total" + worker) >= 1);
        String series = text.lines().filter(l -> l.startsWith("reconciliations_") || l.startsWith("events_received"))
                .collect(java.util.stream.Collectors.joining("\n", "\n", "\n"));
        // every reconcile that ended was started first: none of the start-up ones may be missing
        assertThat(sample(text, "reconciliations_started_total" + worker)).as(series).isGreaterThanOrEqualTo(
                sample(text, "reconciliations_success_total" + worker)
                        + sample(text, "reconciliations_failure_total" + worker));
    }

    @Test
    void exposesTheOperatorSdkReconcileMetrics() throws Exception {
        assertThat(output()).contains("Profile prod activated");
        client.load(new ByteArrayInputStream(worker("metrics").getBytes(StandardCharsets.UTF_8))).create();
        // only JOSDK's series: a failure message then shows what there was (nothing, before the fix)
        String text = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(
                () -> get("/q/metrics").body().lines().filter(l -> l.startsWith("reconciliations_"))
                        .collect(java.util.stream.Collectors.joining("\n", "\n", "\n")),
                series -> series.matches(
                        "(?s).*\nreconciliations_started_total\\{controller_name=\"pymodeworker\"} [1-9].*")
                        && series.matches("(?s).*\nreconciliations_(success|failure)_total\\{controller_name="
                                + "\"pymodeworker\"} [1-9].*"));
        // the series the dashboard and the alerts read, for every controller
        for (String controller : List.of("pymodeworker", "pymodeextension", "pymodeworkflow")) {
            assertThat(text).contains("reconciliations_queue{controller_name=\"" + controller + "\"}")
                    .contains("reconciliations_active{controller_name=\"" + controller + "\"}")
                    .contains("reconciliations_execution_duration_seconds_bucket{controller_name=\"" + controller
                            + "\"");
        }
        assertThat(text).containsPattern(
                "reconciliations_execution_duration_seconds_count\\{controller_name=\"pymodeworker\"} [1-9]");
    }
}
