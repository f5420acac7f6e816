package dev.pymode.operator.status;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import dev.pymode.operator.api.v1alpha1.worker.PyModeWorkerStatus;
import io.fabric8.kubernetes.api.model.Condition;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class StatusAggregatorTest {

    private static final Instant T0 = Instant.parse("2026-11-25T10:00:00Z");

    private static StatusAggregator at(Instant instant) {
        return new StatusAggregator(Clock.fixed(instant, ZoneOffset.UTC));
    }

    private static Condition condition(PyModeWorkerStatus status, String type) {
        return Conditions.find(status.getConditions(), type).orElseThrow(() -> new AssertionError("no " + type));
    }

    @Test
    void allStagesSucceededMeansReadyWithoutReconcilingOrStalled() {
        var status = new PyModeWorkerStatus();
        var retry = at(T0).apply(status, 3, List.of(
                StageResult.succeeded("SourceReady", "Resolved", "2 files"),
                StageResult.succeeded("Built", "CacheHit", "artifact sha256:abc")));

        assertThat(retry).isEmpty();
        assertThat(status.getObservedGeneration()).isEqualTo(3);
        assertThat(condition(status, "Ready").getStatus()).isEqualTo("True");
        assertThat(condition(status, "Ready").getMessage()).isEqualTo("artifact sha256:abc");
        assertThat(Conditions.find(status.getConditions(), "Reconciling")).isEmpty();
        assertThat(Conditions.find(status.getConditions(), "Stalled")).isEmpty();
        assertThat(status.getConditions()).extracting(Condition::getType)
                .containsExactly("Built", "Ready", "SourceReady");
    }

    @Test
    void terminalFailureStallsAndNamesTheStage() {
        var status = new PyModeWorkerStatus();
        at(T0).apply(status, 1, List.of(StageResult.terminalFailure("SourceReady", "EntryNotFound", "no src/entry.py")));

        assertThat(condition(status, "Ready").getStatus()).isEqualTo("False");
        assertThat(condition(status, "Ready").getReason()).isEqualTo("EntryNotFound");
        assertThat(condition(status, "Stalled").getStatus()).isEqualTo("True");
        assertThat(condition(status, "Stalled").getMessage()).isEqualTo("SourceReady: no src/entry.py");
        assertThat(Conditions.find(status.getConditions(), "Reconciling")).isEmpty();
    }

    @Test
    void progressingStageReconcilesAndAsksToComeBack() {
        var status = new PyModeWorkerStatus();
        var retry = at(T0).apply(status, 1, List.of(StageResult.progressing("SourceReady", "ConfigMapNotFound",
                "waiting", Duration.ofSeconds(30))));

        assertThat(retry).contains(Duration.ofSeconds(30));
        assertThat(condition(status, "Reconciling").getStatus()).isEqualTo("True");
        assertThat(condition(status, "Reconciling").getReason()).isEqualTo("ConfigMapNotFound");
        assertThat(Conditions.find(status.getConditions(), "Stalled")).isEmpty();
    }

    @Test
    void aStalledLaterStageStillHonoursAnEarlierStagesRecheck() {
        var status = new PyModeWorkerStatus();
        var retry = at(T0).apply(status, 1, List.of(
                new StageResult("SourceReady", StageResult.Outcome.SUCCEEDED, "Resolved", "git:r@main:abc",
                        java.util.Optional.of(Duration.ofMinutes(5))),
                StageResult.terminalFailure("Built", "BuildFailed", "no more retries")));

        assertThat(condition(status, "Stalled").getReason()).isEqualTo("BuildFailed");
        assertThat(retry).as("a new commit may fix the build").contains(Duration.ofMinutes(5));
    }

    @Test
    void recoveringClearsStalledAndKeepsTransitionTimesOfUnchangedConditions() {
        var status = new PyModeWorkerStatus();
        at(T0).apply(status, 1, List.of(StageResult.succeeded("SourceReady", "Resolved", "ok"),
                StageResult.terminalFailure("Built", "CompileError", "error: x")));
        Instant later = T0.plusSeconds(90);
        at(later).apply(status, 2, List.of(StageResult.succeeded("SourceReady", "Resolved", "ok"),
                StageResult.succeeded("Built", "Built", "done")));

        assertThat(condition(status, "SourceReady").getLastTransitionTime()).isEqualTo(T0.toString());
        assertThat(condition(status, "Built").getLastTransitionTime()).isEqualTo(later.toString());
        assertThat(condition(status, "Ready").getLastTransitionTime()).isEqualTo(later.toString());
        assertThat(condition(status, "Ready").getObservedGeneration()).isEqualTo(2);
        assertThat(Conditions.find(status.getConditions(), "Stalled")).isEmpty();
    }

    @Test
    void suspendedObservesTheGenerationAndClearsProgressConditions() {
        var status = new PyModeWorkerStatus();
        at(T0).apply(status, 1, List.of(StageResult.progressing("Built", "Building", "b", Duration.ofSeconds(5))));
        at(T0).suspended(status, 2);

        assertThat(status.getObservedGeneration()).isEqualTo(2);
        assertThat(condition(status, "Ready").getReason()).isEqualTo("Suspended");
        assertThat(condition(status, "Ready").getStatus()).isEqualTo("False");
        assertThat(Conditions.find(status.getConditions(), "Reconciling")).isEmpty();
    }

    /** A condition says what is wrong in a line or two: a whole log handed to a stage is cut to the cap. */
    @Test
    void conditionMessagesAreCapped() {
        var status = new PyModeWorkerStatus();
        String log = "Traceback (most recent call last):\n" + "  File \"x.py\", line 1, in <module>\n".repeat(200);
        at(T0).apply(status, 1, List.of(StageResult.terminalFailure("Built", "BuildFailed", log)));
        assertThat(status.getConditions()).allSatisfy(c -> assertThat(c.getMessage())
                .hasSizeLessThanOrEqualTo(Conditions.MAX_MESSAGE));
        assertThat(condition(status, "Built").getMessage()).startsWith("Traceback").endsWith("…");
    }
}
