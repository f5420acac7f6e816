package dev.pymode.operator.workflow;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pymode.operator.api.v1alpha1.workflow.WorkflowRun;
import dev.pymode.operator.api.v1alpha1.workflow.WorkflowStepResult;

/** Maps the worker's run reports onto status.runs and keeps the history bounded. */
final class WorkflowRuns {

    static final String PENDING = "Pending";
    static final String RUNNING = "Running";
    static final String SUCCEEDED = "Succeeded";
    static final String FAILED = "Failed";
    static final String CANCELLED = "Cancelled";

    private WorkflowRuns() {
    }

    static boolean finished(WorkflowRun run) {
        return SUCCEEDED.equals(run.getState()) || FAILED.equals(run.getState()) || CANCELLED.equals(run.getState());
    }

    /** The worker's states (pending, running, waiting, completed, failed, cancelled) as the resource's. */
    static String state(String workerState) {
        return switch (workerState) {
            case "completed", "succeeded" -> SUCCEEDED;
            case "failed" -> FAILED;
            case "cancelled" -> CANCELLED;
            case "pending" -> PENDING;
            default -> RUNNING;
        };
    }

    /** Copies a {@code /workflow/status} answer into the run. */
    static void update(WorkflowRun run, JsonNode report, String now) {
        run.setState(state(report.path("state").asText("running")));
        run.setError(report.hasNonNull("error") ? report.path("error").asText() : null);
        List<WorkflowStepResult> steps = new ArrayList<>();
        for (JsonNode step : report.path("steps")) {
            WorkflowStepResult result = new WorkflowStepResult();
            result.setName(step.path("name").asText());
            result.setState(state(step.path("state").asText("pending")));
            result.setAttempts(step.path("attempts").asInt());
            result.setResult(step.has("result") ? step.get("result") : null);
            result.setError(step.hasNonNull("error") ? step.path("error").asText() : null);
            steps.add(result);
        }
        run.setSteps(steps);
        if (finished(run) && run.getFinishedAt() == null) {
            run.setFinishedAt(now);
        }
    }

    /** When a cron-started run fired, from its id {@code <prefix><epoch seconds>}; empty for other ids. */
    static Optional<Instant> scheduledAt(String id, String prefix) {
        if (!id.startsWith(prefix) || !id.substring(prefix.length()).matches("[0-9]{1,12}")) {
            return Optional.empty();
        }
        return Optional.of(Instant.ofEpochSecond(Long.parseLong(id.substring(prefix.length()))));
    }

    /** Newest first; keeps every unfinished run and the newest finished ones up to the limit. */
    static List<WorkflowRun> trim(List<WorkflowRun> runs, int historyLimit) {
        List<WorkflowRun> kept = new ArrayList<>();
        int finished = 0;
        for (WorkflowRun run : runs) {
            if (!finished(run) || finished++ < historyLimit) {
                kept.add(run);
            }
        }
        return kept;
    }
}
