package dev.pymode.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.pymode.operator.api.v1alpha1.common.BuildProgress;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorker;
import dev.pymode.operator.status.Conditions;
import dev.pymode.operator.support.BuildEnvironmentResource;
import dev.pymode.operator.support.EndToEndResource;
import dev.pymode.operator.support.Namespaces;
import dev.pymode.operator.support.Ready;
import dev.pymode.operator.support.Standin;
import dev.pymode.operator.support.TestPaths;
import dev.pymode.operator.support.Workers;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The builder-only cases of the bad-input corpus (testdata/bad-input/builder-packages.yaml) through the whole
 * operator: package strings admission's regex lets through and the builder refuses before pip runs, exiting with
 * EXIT_INVALID_INPUT (3). Each is a worker of its own, all applied at once: each stalls at once with reason
 * {@value #REASON} and the builder's one line naming the value and the rule, after exactly one build (an input
 * error is not retried, whatever the wait); a healthy worker in the same namespace stays Ready throughout.
 * builder-image/tests/test_builder_input.py checks the same cases against the builder alone.
 */
@QuarkusTest
@QuarkusTestResource(value = EndToEndResource.class, restrictToAnnotatedClass = true)
@Tag("e2e")
class BuilderInputCorpusEndToEndTest {

    private static final String NS = "e2e-builder-corpus";
    private static final Path CORPUS = TestPaths.repoRoot().resolve("testdata/bad-input/builder-packages.yaml");
    /** BuildObservation.invalidInput's reason: the builder's exit code 3, known to the executor. */
    private static final String REASON = "InvalidInput";
    /** Not "steady": script names default to the worker's name, and ContainmentEndToEndTest's may share the stand-in. */
    private static final String STEADY = "corpus-steady";
    private static final Duration TIMEOUT = Duration.ofMinutes(4);
    /**
     * How long a stalled case is watched for a second attempt: several times the retry base delay the test
     * environment sets (1 s, with max-attempts 2), so a failure taken for unknown or transient is retried in it.
     */
    private static final Duration NO_RETRY_WINDOW = Duration.ofSeconds(6);
    private static final String HELLO = "from pymode.workers import Response\n\n"
            + "def on_fetch(request, env):\n    return Response('steady')\n";

    @Inject
    KubernetesClient client;

    /** One document of builder-packages.yaml. */
    record Case(String name, String value, String message) {
    }

    static List<Case> load() throws IOException {
        List<Case> cases = new ArrayList<>();
        try (var documents = new ObjectMapper(new YAMLFactory()).readerFor(Map.class)
                .<Map<String, Object>>readValues(CORPUS.toFile())) {
            while (documents.hasNext()) {
                Map<String, Object> doc = documents.next();
                if (doc != null) {
                    cases.add(new Case((String) doc.get("case"), (String) doc.get("value"), (String) doc.get("message")));
                }
            }
        }
        return cases;
    }

    private PyModeWorker worker(String name) {
        return client.resources(PyModeWorker.class).inNamespace(NS).withName(name).get();
    }

    private static Condition condition(PyModeWorker worker, String type) {
        return worker == null || worker.getStatus() == null ? null
                : Conditions.find(worker.getStatus().getConditions(), type).orElse(null);
    }

    private List<Event> events(String name) {
        return client.v1().events().inNamespace(NS).list().getItems().stream()
                .filter(e -> name.equals(e.getInvolvedObject().getName())).toList();
    }

    /** The local builds of the worker left on disk (the operator removes a finished one before any retry). */
    private static List<String> builds(String worker) throws IOException {
        Path dir = BuildEnvironmentResource.buildDir.resolve(NS);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> list = Files.list(dir)) {
            return list.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(worker + "-build-")).toList();
        }
    }

    private static List<String> scripts() throws Exception {
        List<String> names = new ArrayList<>();
        Standin.adminJson("/__standin/scripts").path("scripts").forEach(s -> names.add(s.path("script").asText()));
        return names;
    }

    @Test
    void everyBuilderOnlyCaseStallsAtOnceWithTheBuildersLineAndIsNotRetried() throws Exception {
        List<Case> cases = load();
        assertThat(cases).as("the builder-only corpus (%s)", CORPUS).hasSizeGreaterThanOrEqualTo(8);
        Set<String> names = new HashSet<>();
        for (Case c : cases) {
            assertThat(c.name()).as("case name (the worker's name)").isNotBlank();
            assertThat(names.add(c.name())).as("case names are unique: %s", c.name()).isTrue();
            assertThat(c.value()).as("%s: value", c.name()).isNotBlank();
            assertThat(c.message()).as("%s: message", c.name()).isNotBlank();
        }

        Namespaces.ensure(client, NS);
        client.resource(Workers.inline(NS, STEADY, HELLO)).create();
        String steadyVersion = Ready.await(client, PyModeWorker.class, NS, STEADY, TIMEOUT)
                .getStatus().getDeployment().getVersionId();

        // all at once: admission lets each through (they are builder-only), the builds run side by side
        for (Case c : cases) {
            PyModeWorker bad = Workers.inline(NS, c.name(), HELLO);
            bad.getSpec().setPackages(List.of(c.value()));
            client.resource(bad).create();
        }
        await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(500)).until(() -> allStalled(cases));

        // what a retry would change, watched over several retry delays
        long deadline = System.nanoTime() + NO_RETRY_WINDOW.toNanos();
        do {
            assertSteadyReady(steadyVersion);
            Thread.sleep(500);
        } while (System.nanoTime() < deadline);

        SoftAssertions softly = new SoftAssertions();
        for (Case c : cases) {
            assertStalledOnce(softly, c);
        }
        softly.assertAll();
        assertSteadyReady(steadyVersion);
        assertThat(scripts()).as("only the healthy worker is deployed").contains(STEADY)
                .doesNotContainAnyElementsOf(names);
    }

    /**
     * Whether every case's worker is Stalled; fails at once when one failed and was left to be built again (a
     * retry: the failure was taken for transient or unknown), rather than when the wait runs out.
     */
    private boolean allStalled(List<Case> cases) {
        boolean all = true;
        for (Case c : cases) {
            PyModeWorker worker = worker(c.name());
            BuildProgress build = worker == null || worker.getStatus() == null ? null : worker.getStatus().getBuild();
            if (build != null && build.getFailedAttempts() != null && build.getFailedAttempts() > 0
                    && build.getStalledReason() == null) {
                throw new AssertionError(c.name() + ": the build failed and is to be retried (" + build.getFailedAttempts()
                        + " failed attempts, last " + build.getLastFailureReason() + ": " + build.getLastFailureMessage()
                        + "; conditions " + worker.getStatus().getConditions() + "): an input error must stall at once");
            }
            all &= condition(worker, "Stalled") != null;
        }
        return all;
    }

    private void assertStalledOnce(SoftAssertions softly, Case c) throws IOException {
        PyModeWorker worker = worker(c.name());
        Condition stalled = condition(worker, "Stalled");
        if (stalled == null) {
            softly.fail("%s is no longer Stalled: %s", c.name(), worker.getStatus().getConditions());
            return;
        }
        softly.assertThat(stalled.getStatus()).as("%s: Stalled status", c.name()).isEqualTo("True");
        softly.assertThat(stalled.getReason()).as("%s: Stalled reason (%s)", c.name(), stalled.getMessage())
                .isEqualTo(REASON);
        // the builder's last line: "invalid input: package '<value>' is not a PEP 508 requirement: <packaging's why>"
        // (the value as Python's repr quotes it: verbatim while a value holds no quote or backslash to escape)
        softly.assertThat(stalled.getMessage()).as("%s: Stalled message", c.name())
                .startsWith("Built: invalid input: package ").contains(c.value()).contains(c.message())
                .doesNotContain("\n");
        softly.assertThat(condition(worker, "Built")).as("%s: Built", c.name())
                .satisfies(b -> assertThat(b.getReason()).isEqualTo(REASON));
        softly.assertThat(condition(worker, "Ready").getStatus()).as("%s: Ready", c.name()).isEqualTo("False");
        softly.assertThat(condition(worker, "Reconciling")).as("%s: not Reconciling (no retry pending)", c.name())
                .isNull();
        softly.assertThat(worker.getStatus().getConditions()).as("%s: conditions", c.name())
                .allSatisfy(cond -> assertThat(cond.getMessage()).as(cond.getType()).doesNotContain("attempt"));
        softly.assertThat(worker.getStatus().getArtifact()).as("%s: no artifact", c.name()).isNull();

        // one build, one failure, recorded as final for these inputs
        BuildProgress build = worker.getStatus().getBuild();
        softly.assertThat(build).as("%s: status.build", c.name()).isNotNull();
        if (build != null) {
            softly.assertThat(build.getFailedAttempts()).as("%s: failed attempts", c.name()).isEqualTo(1);
            softly.assertThat(build.getStalledReason()).as("%s: stalled reason", c.name()).isEqualTo(REASON);
        }
        List<Event> events = events(c.name());
        softly.assertThat(events).filteredOn(e -> "BuildStarted".equals(e.getReason()))
                .as("%s: BuildStarted events (one build, no second attempt)", c.name()).hasSize(1)
                .allSatisfy(e -> assertThat(e.getMessage()).doesNotContain("attempt"));
        softly.assertThat(events).filteredOn(e -> REASON.equals(e.getReason()))
                .as("%s: %s events", c.name(), REASON).hasSize(1).allSatisfy(e -> {
                    assertThat(e.getType()).isEqualTo("Warning");
                    assertThat(e.getMessage()).contains(c.message());
                });
        softly.assertThat(events).extracting(Event::getReason).as("%s: event reasons", c.name())
                .doesNotContain("BuildFailed", "BuildRestarted", "BuildSucceeded");
        softly.assertThat(builds(c.name())).as("%s: builds left", c.name()).isEmpty();
    }

    /** The healthy worker: Ready for its generation, not Stalled, its code not replaced. */
    private void assertSteadyReady(String versionBefore) {
        PyModeWorker steady = worker(STEADY);
        assertThat(condition(steady, "Ready")).satisfies(c -> assertThat(c.getStatus())
                .as("%s: %s %s", STEADY, c.getReason(), c.getMessage()).isEqualTo("True"));
        assertThat(condition(steady, "Stalled")).isNull();
        assertThat(steady.getMetadata().getGeneration()).isEqualTo(steady.getStatus().getObservedGeneration());
        assertThat(steady.getStatus().getDeployment().getVersionId()).as("%s's code was not replaced", STEADY)
                .isEqualTo(versionBefore);
    }
}
