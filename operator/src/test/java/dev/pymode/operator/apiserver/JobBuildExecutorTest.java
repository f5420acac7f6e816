package dev.pymode.operator.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pymode.devenv.RepositoryLayout;
import dev.pymode.operator.api.v1alpha1.worker.InlineFile;
import dev.pymode.operator.api.v1alpha1.worker.InlineSource;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorker;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorkerSpec;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorkerStatus;
import dev.pymode.operator.api.v1alpha1.worker.WorkerSource;
import dev.pymode.operator.builds.BuilderCommand;
import dev.pymode.operator.builds.JobBuildExecutor;
import dev.pymode.operator.builds.WorkerBuildStage;
import dev.pymode.operator.config.PyModeConfig;
import dev.pymode.operator.events.EventRecorder;
import dev.pymode.operator.metrics.OperatorMetrics;
import dev.pymode.operator.oci.OciRegistry;
import dev.pymode.operator.source.resolve.SourceResolver;
import dev.pymode.operator.status.StageResult;
import dev.pymode.operator.support.JobController;
import dev.pymode.testkit.ManualClock;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.smallrye.config.SmallRyeConfigBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Builds as Kubernetes Jobs on a real API server (no kubelet: the test plays the Job controller by writing
 * Job status) and a real registry: the Job spec, adoption after an operator restart, success and failure.
 */
@Tag("apiserver")
class JobBuildExecutorTest {

    private static final dev.pymode.operator.recipes.RecipeClosure RECIPES = new dev.pymode.operator.recipes.RecipeClosure(
            new dev.pymode.operator.recipes.RecipeCatalog(Thread.currentThread().getContextClassLoader()),
            new com.fasterxml.jackson.databind.ObjectMapper());

    private static final String NS = "job-builds";
    private static JobTestServers servers;
    private static KubernetesClient client;
    private static PyModeConfig config;

    @BeforeAll
    static void start(@TempDir Path tmp) throws Exception {
        servers = JobTestServers.start(tmp, NS);
        client = servers.client();
        config = JobTestSettings.forRegistry(servers.registry().host(), "1");
    }

    @AfterAll
    static void stop() throws Exception {
        if (servers != null) {
            servers.close();
        }
    }

    /** A fresh stage, as a (re)started operator builds it. */
    private static WorkerBuildStage newOperator() {
        return newOperator(Clock.systemUTC());
    }

    private static WorkerBuildStage newOperator(Clock clock) {
        var oci = new OciRegistry(servers.registry().host(), true, null, null, new ObjectMapper());
        return new WorkerBuildStage(Optional.of(oci), new JobBuildExecutor(client, config), client, config,
                config.builder().image(), new EventRecorder(client, clock), clock, OperatorMetrics.none(), RECIPES);
    }

    private static PyModeWorker createWorker(String name, String content) {
        var inline = new InlineSource();
        inline.getFiles().add(new InlineFile("src/entry.py", content));
        inline.getFiles().add(new InlineFile("src/lib/helpers.py", "X = 1\n"));
        var source = new WorkerSource();
        source.setInline(inline);
        var spec = new PyModeWorkerSpec();
        spec.setSource(source);
        spec.setPackages(List.of("attrs==24.2.0"));
        var worker = new PyModeWorker();
        worker.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NS).build());
        worker.setSpec(spec);
        return client.resource(worker).create();
    }

    private static StageResult reconcile(WorkerBuildStage stage, PyModeWorker worker, PyModeWorkerStatus status) {
        var source = dev.pymode.operator.support.TestSources.resolver(client).resolve(worker).source();
        return stage.run(worker, source, "src/entry.py", status);
    }

    private static List<Job> jobs() {
        return client.batch().v1().jobs().inNamespace(NS).list().getItems();
    }

    private static void finishJob(String name, boolean succeeded, String message) {
        JobController.finish(client, NS, name, succeeded, null, message);
    }

    private static void finishJob(String name, boolean succeeded, String reason, String message) {
        JobController.finish(client, NS, name, succeeded, reason, message);
    }

    private static void podTerminated(String jobName, ContainerStateTerminated terminated, boolean asLastState) {
        JobController.podTerminated(client, NS, jobName, terminated, asLastState);
    }

    private static List<Event> events(String name, String reason) {
        return client.v1().events().inNamespace(NS).list().getItems().stream()
                .filter(e -> name.equals(e.getInvolvedObject().getName()) && reason.equals(e.getReason())).toList();
    }

    @Test
    void aBuildIsAJobThatARestartedOperatorAdoptsAndFinishes() throws Exception {
        PyModeWorker worker = createWorker("adopt", "def on_fetch(r, e): pass\n");
        var status = new PyModeWorkerStatus();

        StageResult first = reconcile(newOperator(), worker, status);
        assertThat(first.reason()).isEqualTo("Building");
        assertThat(first.retryAfter()).as("the Job informer wakes the worker; this is only the safety net")
                .contains(Duration.ofSeconds(60));
        assertThat(jobs()).hasSize(1);
        Job job = jobs().get(0);
        assertThat(job.getMetadata().getName()).isEqualTo(status.getBuild().getName()).startsWith("adopt-build-");

        // the operator restarts: a new stage and executor, the status it had persisted
        StageResult afterRestart = reconcile(newOperator(), worker, status);
        assertThat(afterRestart.reason()).isEqualTo("Building");
        assertThat(afterRestart.retryAfter()).contains(Duration.ofSeconds(60));
        assertThat(jobs()).as("adopted, not duplicated").hasSize(1);
        assertThat(jobs().get(0).getMetadata().getUid()).isEqualTo(job.getMetadata().getUid());

        // the Job completes, having pushed the bundle under the build key's tag
        Path bundle = Files.createTempDirectory("bundle");
        Files.writeString(bundle.resolve("bundle.json"), "{\"format\":\"pymode-bundle/1\"}");
        String tag = "bk-" + status.getBuild().getKey();
        Process push = new ProcessBuilder(RepositoryLayout.ociToolsBin().resolve("oras").toString(), "push",
                "--plain-http", servers.registry().host() + "/pymode/bundles:" + tag, "bundle.json:application/json")
                .directory(bundle.toFile()).inheritIO().start();
        assertThat(push.waitFor()).isZero();
        finishJob(job.getMetadata().getName(), true, null);

        StageResult done = reconcile(newOperator(), worker, status);
        assertThat(done.reason()).isEqualTo("Built");
        assertThat(status.getArtifact().getRef()).startsWith(servers.registry().host() + "/pymode/bundles@sha256:");
        assertThat(status.getArtifact().getCacheHit()).isFalse();
        assertThat(status.getBuild()).isNull();
        List<String> reasons = client.v1().events().inNamespace(NS).list().getItems().stream()
                .filter(e -> "adopt".equals(e.getInvolvedObject().getName())).map(e -> e.getReason()).toList();
        assertThat(reasons).containsOnlyOnce("BuildStarted").contains("BuildSucceeded");
    }

    @Test
    void theJobIsLockedDown() {
        PyModeWorker worker = createWorker("spec", "def on_fetch(r, e): return None\n");
        StageResult started = reconcile(newOperator(), worker, new PyModeWorkerStatus());
        assertThat(started.reason()).as(started.message()).isEqualTo("Building");
        Job job = client.batch().v1().jobs().inNamespace(NS).list().getItems().stream()
                .filter(j -> j.getMetadata().getName().startsWith("spec-build-")).findFirst().orElseThrow();

        assertThat(job.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> {
            assertThat(o.getKind()).isEqualTo("PyModeWorker");
            assertThat(o.getUid()).isEqualTo(worker.getMetadata().getUid());
            assertThat(o.getController()).isTrue();
        });
        assertThat(job.getMetadata().getLabels()).containsEntry("app.kubernetes.io/managed-by", "pymode-operator")
                .containsEntry("pymode.dev/owner-name", "spec");
        assertThat(job.getSpec().getBackoffLimit()).isZero();
        assertThat(job.getSpec().getActiveDeadlineSeconds()).isEqualTo(1800L);
        assertThat(job.getSpec().getTtlSecondsAfterFinished()).isEqualTo(3600);

        PodSpec pod = job.getSpec().getTemplate().getSpec();
        assertThat(pod.getAutomountServiceAccountToken()).isFalse();
        assertThat(pod.getTerminationGracePeriodSeconds()).isEqualTo(5L);
        assertThat(pod.getRestartPolicy()).isEqualTo("Never");
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(pod.getSecurityContext().getRunAsUser()).isEqualTo(65532L);
        assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
        var container = pod.getContainers().get(0);
        assertThat(container.getImage()).isEqualTo(config.builder().image());
        assertThat(container.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(container.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        assertThat(container.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(container.getResources().getLimits()).containsKeys("cpu", "memory", "ephemeral-storage");
        assertThat(container.getResources().getRequests()).containsKeys("cpu", "memory");
        assertThat(container.getCommand()).containsSequence("worker", "--source", "/workspace/source")
                .contains("--package=attrs==24.2.0")
                .containsSequence("--runtime-ref", config.runtime().ref().orElseThrow());
        assertThat(container.getCommand().stream().filter(a -> a.startsWith(servers.registry().host() + "/pymode/bundles:bk-")))
                .hasSize(1);
        assertThat(container.getVolumeMounts()).extracting(m -> m.getMountPath())
                .contains("/workspace", "/tmp", "/workspace/source", "/registry-auth");
        var sourceVolume = pod.getVolumes().stream().filter(v -> "source".equals(v.getName())).findFirst().orElseThrow();
        assertThat(sourceVolume.getConfigMap().getItems()).extracting(i -> i.getPath())
                .containsExactly("src/entry.py", "src/lib/helpers.py");
        var authVolume = pod.getVolumes().stream().filter(v -> "registry-auth".equals(v.getName())).findFirst()
                .orElseThrow();
        assertThat(authVolume.getSecret().getSecretName()).isEqualTo("registry-push");
        assertThat(client.configMaps().inNamespace(NS).withName(job.getMetadata().getName() + "-source").get()
                .getBinaryData()).hasSize(2);
    }

    @Test
    void theOperatorsPackageIndexReachesTheBuilderAsEnvironmentWithCredentialsByReference() {
        PyModeConfig withIndex = new SmallRyeConfigBuilder().withMapping(PyModeConfig.class).withDefaultValues(Map.of(
                "pymode.registry.host", servers.registry().host(), "pymode.registry.plain-http", "true",
                "pymode.runtime.ref", servers.registry().host() + "/pymode/runtime@sha256:" + "1".repeat(64),
                "pymode.builder.image", "registry.example/pymode/builder@sha256:" + "2".repeat(64),
                "pymode.builder.package-index-url", "https://pypi.example.com/simple/",
                "pymode.builder.package-index-credentials-secret", "package-index"))
                .build().getConfigMapping(PyModeConfig.class);
        var oci = new OciRegistry(servers.registry().host(), true, null, null, new ObjectMapper());
        var stage = new WorkerBuildStage(Optional.of(oci), new JobBuildExecutor(client, withIndex), client, withIndex,
                withIndex.builder().image(), new EventRecorder(client, Clock.systemUTC()), Clock.systemUTC(),
                OperatorMetrics.none(), RECIPES);
        PyModeWorker worker = createWorker("with-index", "def on_fetch(r, e): return None\n");
        assertThat(reconcile(stage, worker, new PyModeWorkerStatus()).reason()).isEqualTo("Building");

        var container = jobs().stream().filter(j -> j.getMetadata().getName().startsWith("with-index-build-"))
                .findFirst().orElseThrow().getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(container.getEnv()).anySatisfy(e -> {
            assertThat(e.getName()).isEqualTo("PYMODE_PACKAGE_INDEX_URL");
            assertThat(e.getValue()).isEqualTo("https://pypi.example.com/simple/");
        });
        for (String key : List.of("username", "password")) {
            assertThat(container.getEnv()).anySatisfy(e -> {
                assertThat(e.getName()).isEqualTo("PYMODE_PACKAGE_INDEX_" + key.toUpperCase());
                assertThat(e.getValue()).isNull();
                assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo("package-index");
                assertThat(e.getValueFrom().getSecretKeyRef().getKey()).isEqualTo(key);
            });
        }
        // the index is never an argument: not the operator's, and no spec value can be one
        assertThat(container.getCommand()).noneMatch(a -> a.contains("index"));
    }

    @Test
    void aConfiguredCaBundleReachesTheBuilderAsAConfigMapAndTheToolsCaVariables(@TempDir Path tmp) throws Exception {
        Path bundle = tmp.resolve("ca.pem");
        Files.writeString(bundle, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
        PyModeConfig withCa = new SmallRyeConfigBuilder().withMapping(PyModeConfig.class).withDefaultValues(Map.of(
                "pymode.registry.host", servers.registry().host(), "pymode.registry.plain-http", "true",
                "pymode.runtime.ref", servers.registry().host() + "/pymode/runtime@sha256:" + "1".repeat(64),
                "pymode.builder.image", "registry.example/pymode/builder@sha256:" + "2".repeat(64),
                "pymode.builder.ca-bundle-file", bundle.toString()))
                .build().getConfigMapping(PyModeConfig.class);
        var oci = new OciRegistry(servers.registry().host(), true, null, null, new ObjectMapper());
        var stage = new WorkerBuildStage(Optional.of(oci), new JobBuildExecutor(client, withCa), client, withCa,
                withCa.builder().image(), new EventRecorder(client, Clock.systemUTC()), Clock.systemUTC(),
                OperatorMetrics.none(), RECIPES);
        PyModeWorker worker = createWorker("with-ca", "def on_fetch(r, e): return None\n");
        assertThat(reconcile(stage, worker, new PyModeWorkerStatus()).reason()).isEqualTo("Building");

        Job job = jobs().stream().filter(j -> j.getMetadata().getName().startsWith("with-ca-build-")).findFirst()
                .orElseThrow();
        String name = job.getMetadata().getName();
        var configMap = client.configMaps().inNamespace(NS).withName(name + "-ca").get();
        assertThat(configMap.getData()).containsEntry("ca-bundle.crt", Files.readString(bundle));
        assertThat(configMap.getMetadata().getOwnerReferences()).singleElement()
                .satisfies(o -> assertThat(o.getUid()).isEqualTo(worker.getMetadata().getUid()));
        var pod = job.getSpec().getTemplate().getSpec();
        assertThat(pod.getVolumes()).filteredOn(v -> v.getConfigMap() != null)
                .extracting(v -> v.getConfigMap().getName()).contains(name + "-ca");
        var container = pod.getContainers().get(0);
        assertThat(container.getVolumeMounts()).anySatisfy(m -> {
            assertThat(m.getMountPath()).isEqualTo("/etc/pymode/ca");
            assertThat(m.getReadOnly()).isTrue();
        });
        for (String variable : List.of("SSL_CERT_FILE", "PIP_CERT", "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS",
                "CURL_CA_BUNDLE")) {
            assertThat(container.getEnv()).anySatisfy(e -> {
                assertThat(e.getName()).isEqualTo(variable);
                assertThat(e.getValue()).isEqualTo("/etc/pymode/ca/ca-bundle.crt");
            });
        }

        new JobBuildExecutor(client, withCa).delete(NS, name);
        assertThat(client.configMaps().inNamespace(NS).withName(name + "-ca").get()).isNull();
    }

    @Test
    void aFailedJobIsReportedRemovedAndRetriedAfterBackoff() {
        PyModeWorker worker = createWorker("fails", "def on_fetch(r, e): pass  # fails\n");
        var status = new PyModeWorkerStatus();
        WorkerBuildStage operator = newOperator();
        reconcile(operator, worker, status);
        String jobName = status.getBuild().getName();
        finishJob(jobName, false, "BackoffLimitExceeded: Job has reached the specified backoff limit");

        StageResult failed = reconcile(operator, worker, status);
        assertThat(failed.reason()).isEqualTo("BuildFailed");
        assertThat(failed.outcome()).isEqualTo(StageResult.Outcome.FAILED_TRANSIENT);
        assertThat(failed.message()).contains("attempt 1 of 3 failed").contains("BackoffLimitExceeded");
        assertThat(failed.retryAfter().orElseThrow()).as("30 s backoff plus up to a quarter of jitter")
                .isBetween(Duration.ofSeconds(30), Duration.ofMillis(37_500));
        assertThat(client.batch().v1().jobs().inNamespace(NS).withName(jobName).get()).isNull();

        StageResult waiting = reconcile(operator, worker, status);
        assertThat(waiting.reason()).as("no new Job before the backoff has passed").isEqualTo("BuildFailed");
        assertThat(client.batch().v1().jobs().inNamespace(NS).withName(jobName).get()).isNull();
    }

    @Test
    void anOomKilledBuilderStallsAtOnceNamingTheMemoryLimitNotTheBackoffLimit() {
        PyModeWorker worker = createWorker("oom", "def on_fetch(r, e): pass  # oom\n");
        var status = new PyModeWorkerStatus();
        ManualClock clock = new ManualClock(Instant.now());
        WorkerBuildStage operator = newOperator(clock);
        reconcile(operator, worker, status);
        String jobName = status.getBuild().getName();
        podTerminated(jobName, JobController.terminated(137, "OOMKilled", "Collecting numpy\nBuilding wheel for numpy"), false);
        finishJob(jobName, false, "BackoffLimitExceeded", "Job has reached the specified backoff limit");

        StageResult failed = reconcile(operator, worker, status);
        assertThat(failed.outcome()).isEqualTo(StageResult.Outcome.FAILED_TERMINAL);
        assertThat(failed.reason()).isEqualTo("BuildOutOfMemory");
        assertThat(failed.message()).isEqualTo(
                "the builder ran out of memory: limit 4Gi (chart value builder.resources.limits.memory)");
        assertThat(client.batch().v1().jobs().inNamespace(NS).withName(jobName).get()).isNull();
        assertThat(events("oom", "BuildOutOfMemory")).singleElement().satisfies(e -> assertThat(e.getMessage())
                .startsWith(failed.message() + "\n").contains("Building wheel for numpy"));
        assertThat(events("oom", "BuildFailed")).isEmpty();

        // no retry for the same inputs, however long one waits (and whoever reconciles)
        clock.advance(Duration.ofHours(6));
        StageResult later = reconcile(newOperator(clock), worker, status);
        assertThat(later.outcome()).isEqualTo(StageResult.Outcome.FAILED_TERMINAL);
        assertThat(later.reason()).isEqualTo("BuildOutOfMemory");
        assertThat(later.message()).isEqualTo(failed.message());
        assertThat(client.batch().v1().jobs().inNamespace(NS).withName(jobName).get()).isNull();
        assertThat(status.getBuild().getFailedAttempts()).isEqualTo(1);
    }

    @Test
    void aSpecValueTheBuilderRefusesStallsAtOnceWithItsOneLine() {
        PyModeWorker worker = createWorker("refused", "def on_fetch(r, e): pass  # refused\n");
        var status = new PyModeWorkerStatus();
        ManualClock clock = new ManualClock(Instant.now());
        WorkerBuildStage operator = newOperator(clock);
        reconcile(operator, worker, status);
        String jobName = status.getBuild().getName();
        // what pymode_build.py writes to the termination log when it refuses a value, and its exit code
        String refusal = "invalid input: package 'pkg~=1' is not a PEP 508 requirement: Expected semicolon (after "
                + "name with no version specifier) or end";
        podTerminated(jobName, JobController.terminated(BuilderCommand.EXIT_INVALID_INPUT, "Error", refusal), false);
        finishJob(jobName, false, "BackoffLimitExceeded", "Job has reached the specified backoff limit");

        StageResult failed = reconcile(operator, worker, status);
        assertThat(failed.outcome()).isEqualTo(StageResult.Outcome.FAILED_TERMINAL);
        assertThat(failed.reason()).isEqualTo("InvalidInput");
        assertThat(failed.message()).isEqualTo(refusal);
        assertThat(events("refused", "BuildFailed")).isEmpty();

        clock.advance(Duration.ofHours(6));
        StageResult later = reconcile(newOperator(clock), worker, status);
        assertThat(later.reason()).as("not retried for the same inputs").isEqualTo("InvalidInput");
        assertThat(status.getBuild().getFailedAttempts()).isEqualTo(1);
    }

    @Test
    void anOomKillSeenInTheContainersLastStateCountsToo() {
        PyModeWorker worker = createWorker("oom-last", "def on_fetch(r, e): pass  # oom, last state\n");
        var status = new PyModeWorkerStatus();
        WorkerBuildStage operator = newOperator();
        reconcile(operator, worker, status);
        String jobName = status.getBuild().getName();
        podTerminated(jobName, JobController.terminated(137, "OOMKilled", null), true);
        finishJob(jobName, false, "BackoffLimitExceeded", "Job has reached the specified backoff limit");

        StageResult failed = reconcile(operator, worker, status);
        assertThat(failed.reason()).isEqualTo("BuildOutOfMemory");
        assertThat(failed.outcome()).isEqualTo(StageResult.Outcome.FAILED_TERMINAL);
    }

    @Test
    void aJobPastItsDeadlineStallsAtOnceNamingTheDeadline() {
        PyModeWorker worker = createWorker("slow", "def on_fetch(r, e): pass  # slow\n");
        var status = new PyModeWorkerStatus();
        ManualClock clock = new ManualClock(Instant.now());
        WorkerBuildStage operator = newOperator(clock);
        reconcile(operator, worker, status);
        String jobName = status.getBuild().getName();
        podTerminated(jobName, JobController.terminated(143, "Error", "Compiling numpy/core/src/multiarray.c"), false);
        finishJob(jobName, false, "DeadlineExceeded", "Job was active longer than specified deadline");

        StageResult failed = reconcile(operator, worker, status);
        assertThat(failed.outcome()).isEqualTo(StageResult.Outcome.FAILED_TERMINAL);
        assertThat(failed.reason()).isEqualTo("BuildDeadlineExceeded");
        assertThat(failed.message()).isEqualTo("the build ran past its deadline of PT30M (chart value builder.activeDeadline)");
        assertThat(events("slow", "BuildDeadlineExceeded")).singleElement()
                .satisfies(e -> assertThat(e.getMessage()).contains("Compiling numpy/core/src/multiarray.c"));

        clock.advance(Duration.ofHours(6));
        assertThat(reconcile(operator, worker, status).reason()).isEqualTo("BuildDeadlineExceeded");
        assertThat(client.batch().v1().jobs().inNamespace(NS).withName(jobName).get()).isNull();
    }

    @Test
    void anUnrecognisedBuilderErrorIsRetriedThenStaysStalledPastTheBackoff() {
        PyModeWorker worker = createWorker("bundler-error", "def on_fetch(r, e): pass  # bundler error\n");
        var status = new PyModeWorkerStatus();
        ManualClock clock = new ManualClock(Instant.now());
        WorkerBuildStage operator = newOperator(clock);
        reconcile(operator, worker, status);
        String jobName = status.getBuild().getName();
        for (int attempt = 1; attempt <= 3; attempt++) {
            podTerminated(jobName, JobController.terminated(1, "Error",
                    "build failed: bundle (worker/scripts/bundle.mjs) failed (exit 139): Segmentation fault"), false);
            finishJob(jobName, false, "BackoffLimitExceeded", "Job has reached the specified backoff limit");
            StageResult failed = reconcile(operator, worker, status);
            assertThat(failed.reason()).isEqualTo("BuildFailed");
            assertThat(failed.message()).contains("attempt " + attempt + " of 3 failed")
                    .contains("Segmentation fault");
            client.pods().inNamespace(NS).withName(JobController.podName(jobName)).withGracePeriod(0).delete();
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> client.pods().inNamespace(NS).withName(JobController.podName(jobName)).get() == null);
            clock.advance(Duration.ofHours(1));
            if (attempt < 3) {
                assertThat(failed.outcome()).isEqualTo(StageResult.Outcome.FAILED_TRANSIENT);
                assertThat(reconcile(operator, worker, status).reason()).as("attempt %d starts", attempt + 1)
                        .isEqualTo("Building");
            } else {
                assertThat(failed.outcome()).isEqualTo(StageResult.Outcome.FAILED_TERMINAL);
                assertThat(failed.message()).contains("no more retries");
            }
        }
        StageResult later = reconcile(newOperator(clock), worker, status);
        assertThat(later.outcome()).isEqualTo(StageResult.Outcome.FAILED_TERMINAL);
        assertThat(later.message()).contains("attempt 3 of 3 failed").contains("Segmentation fault");
        assertThat(client.batch().v1().jobs().inNamespace(NS).withName(jobName).get()).as("no fourth attempt").isNull();
    }

    @Test
    void aPackageThatDoesNotExistStallsAtOnceWithPipsLineAndNoSecondJob() {
        PyModeWorker worker = createWorker("pip-error", "def on_fetch(r, e): pass  # pip error\n");
        var status = new PyModeWorkerStatus();
        ManualClock clock = new ManualClock(Instant.now());
        WorkerBuildStage operator = newOperator(clock);
        reconcile(operator, worker, status);
        String jobName = status.getBuild().getName();
        podTerminated(jobName, JobController.terminated(1, "Error", "build failed: pip download (pure-Python wheels "
                + "for wasm32) failed (exit 1):\nERROR: Could not find a version that satisfies the requirement "
                + "attrs==99.0 (from versions: 24.2.0)\nERROR: No matching distribution found for attrs==99.0"), false);
        finishJob(jobName, false, "BackoffLimitExceeded", "Job has reached the specified backoff limit");

        StageResult failed = reconcile(operator, worker, status);
        assertThat(failed.outcome()).isEqualTo(StageResult.Outcome.FAILED_TERMINAL);
        assertThat(failed.reason()).isEqualTo("PackageNotFound");
        assertThat(failed.message()).startsWith("ERROR: No matching distribution found for attrs==99.0")
                .doesNotContain("attempt").doesNotContain("\n");
        assertThat(events("pip-error", "PackageNotFound")).singleElement()
                .satisfies(e -> assertThat(e.getMessage()).contains("pip download"));

        clock.advance(Duration.ofHours(6));
        assertThat(reconcile(newOperator(clock), worker, status).reason()).isEqualTo("PackageNotFound");
        assertThat(client.batch().v1().jobs().inNamespace(NS).withName(jobName).get()).as("no second attempt").isNull();
        assertThat(status.getBuild().getFailedAttempts()).isEqualTo(1);
    }

    @Test
    void aJobDeletedMidBuildIsStartedAgainOnceEvenByConcurrentReconcilesAndCostsNoAttempt() throws Exception {
        PyModeWorker worker = createWorker("deleted", "def on_fetch(r, e): pass  # deleted by hand\n");
        var status = new PyModeWorkerStatus();
        reconcile(newOperator(), worker, status);
        String jobName = status.getBuild().getName();
        String firstUid = client.batch().v1().jobs().inNamespace(NS).withName(jobName).get().getMetadata().getUid();

        client.batch().v1().jobs().inNamespace(NS).withName(jobName).delete(); // kubectl delete job, mid-build
        await().atMost(Duration.ofSeconds(10))
                .until(() -> client.batch().v1().jobs().inNamespace(NS).withName(jobName).get() == null);

        // two operators at once (a rollout's old and new pod), each with the status as it was persisted
        ObjectMapper mapper = new ObjectMapper();
        List<PyModeWorkerStatus> statuses = List.of(mapper.convertValue(status, PyModeWorkerStatus.class),
                mapper.convertValue(status, PyModeWorkerStatus.class));
        List<WorkerBuildStage> operators = List.of(newOperator(), newOperator());
        var ready = new java.util.concurrent.CyclicBarrier(2);
        var pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            List<java.util.concurrent.Future<StageResult>> results = new java.util.ArrayList<>();
            for (int i = 0; i < 2; i++) {
                int n = i;
                results.add(pool.submit(() -> {
                    ready.await();
                    return reconcile(operators.get(n), worker, statuses.get(n));
                }));
            }
            for (var result : results) {
                assertThat(result.get(30, java.util.concurrent.TimeUnit.SECONDS).reason()).isEqualTo("Building");
            }
        } finally {
            pool.shutdownNow();
        }

        List<Job> jobs = client.batch().v1().jobs().inNamespace(NS).withLabel("pymode.dev/owner-name", "deleted")
                .list().getItems();
        assertThat(jobs).as("started again exactly once").singleElement().satisfies(j -> {
            assertThat(j.getMetadata().getName()).isEqualTo(jobName);
            assertThat(j.getMetadata().getUid()).isNotEqualTo(firstUid);
        });
        assertThat(statuses).allSatisfy(s -> {
            assertThat(s.getBuild().getName()).isEqualTo(jobName);
            assertThat(s.getBuild().getFailedAttempts()).as("a deleted Job is no failed attempt").isZero();
        });
        assertThat(events("deleted", "BuildRestarted")).singleElement()
                .satisfies(e -> assertThat(e.getMessage()).contains(jobName).contains("not counted as a failed attempt"));
        assertThat(events("deleted", "BuildStarted")).as("only the first start").hasSize(1);
        assertThat(events("deleted", "BuildFailed")).isEmpty();
    }
}
