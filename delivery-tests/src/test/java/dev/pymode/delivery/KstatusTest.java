package dev.pymode.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import dev.pymode.delivery.support.Kstatus;
import dev.pymode.delivery.support.Kstatus.Status;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * How Flux (kustomize-controller health checks, which use kstatus) reads the operator's conditions: Current when
 * Ready, InProgress while reconciling or before the latest generation is observed, Failed when stalled.
 */
class KstatusTest {

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("ready", Status.Current),
                Arguments.of("reconciling", Status.InProgress),
                Arguments.of("stalled", Status.Failed),
                Arguments.of("stale-generation", Status.InProgress),
                Arguments.of("extension-stalled", Status.Failed),
                Arguments.of("workflow-waiting", Status.InProgress),
                Arguments.of("ready-false-only", Status.InProgress),
                // The operator leaves a suspended resource's status untouched, so the generation bump of setting
                // spec.suspend is never observed: Flux keeps waiting on it (docs/install.md says so).
                Arguments.of("suspended", Status.InProgress),
                // kstatus treats a resource without any status as reconciled: Flux passes its health check before
                // the operator has written a status (docs/install.md says so).
                Arguments.of("no-status", Status.Current),
                // A Ready condition from an older generation is not looked at per condition by kstatus.
                Arguments.of("stale-ready-condition", Status.Current));
    }

    @ParameterizedTest(name = "{0} is {1}")
    @MethodSource("cases")
    void fixturesReadAsExpected(String fixture, Status expected) throws IOException {
        assertThat(Kstatus.compute(Fixtures.load(fixture)).status()).isEqualTo(expected);
    }

    @Test
    void readyWorkerIsCurrentAndStalledOneCarriesTheStageMessage() throws IOException {
        assertThat(Kstatus.compute(Fixtures.load("ready"))).isEqualTo(
                new Kstatus.Result(Status.Current, "Resource is Ready"));
        assertThat(Kstatus.compute(Fixtures.load("stalled")).message())
                .isEqualTo("Built: no OCI registry is configured (pymode.registry.host); bundles cannot be stored");
        assertThat(Kstatus.compute(Fixtures.load("stale-generation")).message())
                .isEqualTo("PyModeWorker generation is 3, but latest observed generation is 2");
    }

    @Test
    void rulesApplyInKstatusOrder() {
        Map<String, Object> meta = Map.of("generation", 5);
        // generation first, even over Ready=True
        assertThat(Kstatus.compute(Map.of("kind", "PyModeWorker", "metadata", meta, "status",
                Map.of("observedGeneration", 4, "conditions", List.of(condition("Ready", "True"))))).status())
                .isEqualTo(Status.InProgress);
        // Reconciling/Stalled before Ready, the first one listed wins
        assertThat(Kstatus.compute(Map.of("metadata", meta, "status", Map.of("observedGeneration", 5, "conditions",
                List.of(condition("Ready", "True"), condition("Stalled", "True"), condition("Reconciling", "True")))))
                .status()).isEqualTo(Status.Failed);
        assertThat(Kstatus.compute(Map.of("metadata", meta, "status", Map.of("observedGeneration", 5, "conditions",
                List.of(condition("Reconciling", "True"), condition("Stalled", "True"))))).status())
                .isEqualTo(Status.InProgress);
        // abnormal-true conditions that are False are ignored
        assertThat(Kstatus.compute(Map.of("metadata", meta, "status", Map.of("observedGeneration", 5, "conditions",
                List.of(condition("Stalled", "False"), condition("Ready", "True"))))).status())
                .isEqualTo(Status.Current);
        assertThat(Kstatus.compute(Map.of("metadata", meta, "status", Map.of("conditions",
                List.of(condition("Ready", "Unknown"))))).status()).isEqualTo(Status.InProgress);
        assertThat(Kstatus.compute(Map.of("metadata", Map.of("generation", 1, "deletionTimestamp",
                "2026-11-25T10:00:00Z"))).status()).isEqualTo(Status.Terminating);
    }

    private static Map<String, Object> condition(String type, String status) {
        return Map.of("type", type, "status", status, "reason", "R", "message", type + "=" + status);
    }
}
