package dev.pymode.operator.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import dev.pymode.operator.api.v1alpha1.common.ArtifactReference;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorker;
import dev.pymode.operator.status.Conditions;
import dev.pymode.operator.support.Namespaces;
import dev.pymode.operator.support.BuildEnvironmentResource;
import dev.pymode.operator.support.Workers;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Builds on real parts: the operator (local build executor), the real builder program, a real OCI registry
 * and a real API server.
 */
@QuarkusTest
@QuarkusTestResource(value = BuildEnvironmentResource.class, restrictToAnnotatedClass = true)
@Tag("apiserver")
class BuildPipelineTest {

    private static final String NS = "builds";
    private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(3);
    private static final String HELLO = "from pymode.workers import Response\n\n"
            + "def on_fetch(request, env):\n    return Response('Hello from PyMode!')\n";

    @Inject
    KubernetesClient client;

    @BeforeEach
    void namespace() {
        Namespaces.ensure(client, NS);
    }

    private PyModeWorker apply(String name, String entryContent, List<String> packages) {
        PyModeWorker worker = Workers.inline(NS, name, entryContent);
        worker.getSpec().setPackages(packages);
        return client.resource(worker).serverSideApply();
    }

    private PyModeWorker get(String name) {
        return client.resources(PyModeWorker.class).inNamespace(NS).withName(name).get();
    }

    private Condition awaitBuilt(String name, String reason, Duration timeout) {
        return await().atMost(timeout).pollInterval(Duration.ofMillis(500)).until(() -> {
            PyModeWorker worker = get(name);
            return worker == null || worker.getStatus() == null ? null : Conditions
                    .find(worker.getStatus().getConditions(), "Built").filter(c -> reason.equals(c.getReason()))
                    .orElse(null);
        }, c -> c != null);
    }

    /** Local build directories of the given workers (other tests build in the same namespace). */
    private static List<String> builds(String... workers) throws Exception {
        Path dir = BuildEnvironmentResource.buildDir.resolve(NS);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> list = Files.list(dir)) {
            return list.map(p -> p.getFileName().toString())
                    .filter(name -> Stream.of(workers).anyMatch(w -> name.startsWith(w + "-build-"))).sorted().toList();
        }
    }

    private List<Event> events(String name, String reason) {
        return client.v1().events().inNamespace(NS).list().getItems().stream()
                .filter(e -> name.equals(e.getInvolvedObject().getName()) && reason.equals(e.getReason())).toList();
    }

    @Test
    void buildsOnceThenReusesTheArtifactForEqualInputs() throws Exception {
        apply("first", HELLO, List.of());
        Condition built = awaitBuilt("first", "Built", BUILD_TIMEOUT);
        ArtifactReference artifact = get("first").getStatus().getArtifact();
        assertThat(artifact.getRef()).startsWith(BuildEnvironmentResource.registry.host() + "/pymode/bundles@sha256:");
        assertThat(artifact.getCacheHit()).isFalse();
        assertThat(artifact.getBuildSeconds()).isNotNull();
        assertThat(artifact.getSizeBytes()).isGreaterThan(1_000_000L); // python.wasm is in it
        assertThat(built.getMessage()).contains(artifact.getDigest());
        assertThat(events("first", "BuildStarted")).hasSize(1);
        assertThat(events("first", "BuildSucceeded")).hasSize(1);
        List<String> buildsAfterFirst = builds("first", "second");
        assertThat(buildsAfterFirst).hasSize(1);

        apply("second", HELLO, List.of());
        awaitBuilt("second", "CacheHit", Duration.ofSeconds(30));
        ArtifactReference reused = get("second").getStatus().getArtifact();
        assertThat(reused.getDigest()).isEqualTo(artifact.getDigest());
        assertThat(reused.getCacheHit()).isTrue();
        assertThat(builds("first", "second")).as("no build for equal inputs").isEqualTo(buildsAfterFirst);
        assertThat(events("second", "BuildStarted")).isEmpty();

        // a changed source is a new key, hence a new build and a new artifact
        apply("second", HELLO.replace("Hello", "Howdy"), List.of());
        awaitBuilt("second", "Built", BUILD_TIMEOUT);
        ArtifactReference rebuilt = get("second").getStatus().getArtifact();
        assertThat(rebuilt.getDigest()).isNotEqualTo(artifact.getDigest());
        assertThat(rebuilt.getBuildKey()).isNotEqualTo(artifact.getBuildKey());
        assertThat(builds("first", "second")).hasSize(2);
    }

    /** Stalled at once: one line naming the cause in the condition, the builder's log in a Warning event. */
    private Condition awaitStalled(String name, String reason) {
        Condition stalled = await().atMost(BUILD_TIMEOUT).pollInterval(Duration.ofMillis(500)).until(() -> {
            PyModeWorker worker = get(name);
            return worker == null || worker.getStatus() == null ? null
                    : Conditions.find(worker.getStatus().getConditions(), "Stalled").orElse(null);
        }, c -> c != null);
        assertThat(stalled.getReason()).isEqualTo(reason);
        assertThat(Conditions.find(get(name).getStatus().getConditions(), "Built")).get()
                .satisfies(c -> assertThat(c.getReason()).isEqualTo(reason));
        assertThat(get(name).getStatus().getConditions()).allSatisfy(c -> assertThat(c.getMessage())
                .as("condition %s", c.getType()).hasSizeLessThanOrEqualTo(512).doesNotContain("Traceback")
                .doesNotContain("attempt"));
        return stalled;
    }

    @Test
    void aPackageThatDoesNotExistStallsAtOnceWithPipsErrorLineAndTheLogInAnEvent() throws Exception {
        apply("broken", HELLO, List.of("pymode-no-such-package-x7==0.0.1"));
        Condition stalled = awaitStalled("broken", "PackageNotFound");
        assertThat(stalled.getMessage()).startsWith(
                "Built: ERROR: No matching distribution found for pymode-no-such-package-x7==0.0.1");
        assertThat(events("broken", "PackageNotFound")).singleElement().satisfies(e -> {
            assertThat(e.getType()).isEqualTo("Warning");
            assertThat(e.getMessage()).startsWith("ERROR: No matching distribution found")
                    .contains("pip install --dry-run (pure resolution)").hasSizeLessThanOrEqualTo(1024);
        });
        // deterministic: no second attempt, however long one waits (the retry base delay here is 1 s)
        Thread.sleep(4000);
        assertThat(get("broken").getStatus().getBuild().getFailedAttempts()).isEqualTo(1);
        assertThat(events("broken", "BuildStarted")).hasSize(1);
        assertThat(builds("broken")).isEmpty();
    }

    @Test
    void invalidPythonInTheEntryModuleStallsWithTheSyntaxErrorLine() {
        apply("bad-syntax", "from pymode.workers import Response\n\ndef on_fetch(request, env:\n    return 1\n",
                List.of());
        Condition stalled = awaitStalled("bad-syntax", "InvalidPython");
        assertThat(stalled.getMessage()).startsWith("Built: SyntaxError: ").contains("(src/entry.py, line 3)");
        assertThat(get("bad-syntax").getStatus().getArtifact()).isNull();
    }

    @Test
    void aSpecChangeRetriesAStalledBuildAtOnce() {
        apply("fixed-later", HELLO.replace("Hello", "Fixed"), List.of("pymode-no-such-package-y9"));
        awaitStalled("fixed-later", "PackageNotFound");

        // the fixed spec builds at once: nothing of the failed inputs (stall, backoff) is carried over
        // (a source of its own: an artifact shared with another test would be a cache hit there)
        apply("fixed-later", HELLO.replace("Hello", "Fixed"), List.of());
        awaitBuilt("fixed-later", "Built", BUILD_TIMEOUT);
        assertThat(Conditions.isTrue(get("fixed-later").getStatus().getConditions(), "Built")).isTrue();
        assertThat(get("fixed-later").getStatus().getBuild()).as("no failure carried over").isNull();
    }

    @Test
    void registryOutageIsReportedAndRecoveredFrom() throws Exception {
        BuildEnvironmentResource.registry.stop();
        try {
            apply("during-outage", HELLO.replace("Hello", "Hi"), List.of());
            Condition unavailable = awaitBuilt("during-outage", "RegistryUnavailable", Duration.ofSeconds(30));
            assertThat(unavailable.getMessage()).contains(BuildEnvironmentResource.registry.host()).contains("unreachable");
            assertThat(Conditions.find(get("during-outage").getStatus().getConditions(), "Reconciling"))
                    .get().extracting(Condition::getStatus).isEqualTo("True");
        } finally {
            BuildEnvironmentResource.registry.start();
        }
        awaitBuilt("during-outage", "Built", BUILD_TIMEOUT);
    }
}
