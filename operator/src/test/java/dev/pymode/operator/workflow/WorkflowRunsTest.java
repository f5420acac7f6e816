package dev.pymode.operator.workflow;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pymode.operator.api.v1alpha1.workflow.WorkflowRun;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class WorkflowRunsTest {

    private static WorkflowRun run(String id, String state) {
        WorkflowRun run = new WorkflowRun();
        run.setId(id);
        run.setState(state);
        return run;
    }

    @Test
    void reportsMapOntoStepsAndStates() throws Exception {
        WorkflowRun run = run("r1", "Running");
        WorkflowRuns.update(run, new ObjectMapper().readTree("""
                {"id": "r1", "state": "completed", "steps": [
                  {"name": "validate", "state": "completed", "attempts": 1, "result": {"ok": true}},
                  {"name": "charge", "state": "completed", "attempts": 3, "result": 42}]}
                """), "2026-11-25T10:00:00Z");
        assertThat(run.getState()).isEqualTo("Succeeded");
        assertThat(run.getFinishedAt()).isEqualTo("2026-11-25T10:00:00Z");
        assertThat(run.getSteps()).extracting(s -> s.getName() + ":" + s.getState() + ":" + s.getAttempts())
                .containsExactly("validate:Succeeded:1", "charge:Succeeded:3");
        assertThat(run.getSteps().get(0).getResult().path("ok").asBoolean()).isTrue();
    }

    @Test
    void failedRunsKeepTheirError() throws Exception {
        WorkflowRun run = run("r2", "Running");
        WorkflowRuns.update(run, new ObjectMapper().readTree("""
                {"state": "failed", "error": "ship: carrier down", "steps": [
                  {"name": "ship", "state": "failed", "attempts": 4, "error": "carrier down"}]}
                """), "t");
        assertThat(run.getState()).isEqualTo("Failed");
        assertThat(run.getError()).isEqualTo("ship: carrier down");
        assertThat(run.getSteps().get(0).getError()).isEqualTo("carrier down");
    }

    @Test
    void cancelledRunsAreFinished() throws Exception {
        WorkflowRun run = run("r3", "Running");
        WorkflowRuns.update(run, new ObjectMapper().readTree("""
                {"state": "cancelled", "error": "replaced by run r4", "steps": [
                  {"name": "charge", "state": "cancelled", "attempts": 1, "error": "gateway timeout"}]}
                """), "t");
        assertThat(run.getState()).isEqualTo("Cancelled");
        assertThat(WorkflowRuns.finished(run)).isTrue();
        assertThat(run.getFinishedAt()).isEqualTo("t");
    }

    @Test
    void scheduledRunIdsCarryTheirFiringTime() {
        assertThat(WorkflowRuns.scheduledAt("nightly-1764644400", "nightly-")).contains(Instant.ofEpochSecond(1764644400L));
        assertThat(WorkflowRuns.scheduledAt("nightly-orders-1764644400", "nightly-")).isEmpty();
        assertThat(WorkflowRuns.scheduledAt("other-1764644400", "nightly-")).isEmpty();
        assertThat(WorkflowRuns.scheduledAt("nightly-", "nightly-")).isEmpty();
    }

    @Test
    void historyKeepsUnfinishedRunsAndTheNewestFinished() {
        List<WorkflowRun> runs = new ArrayList<>(List.of(run("a", "Running"), run("b", "Succeeded"),
                run("c", "Failed"), run("d", "Succeeded")));
        assertThat(WorkflowRuns.trim(runs, 2)).extracting(WorkflowRun::getId).containsExactly("a", "b", "c");
    }
}
