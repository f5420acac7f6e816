package dev.pymode.operator.workflow;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pymode.operator.api.v1alpha1.common.LocalObjectReference;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorker;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorkerStatus;
import dev.pymode.operator.api.v1alpha1.worker.WorkerDeployment;
import dev.pymode.operator.api.v1alpha1.worker.WorkerSchedule;
import dev.pymode.operator.api.v1alpha1.workflow.PyModeWorkflow;
import dev.pymode.operator.api.v1alpha1.workflow.PyModeWorkflowSpec;
import dev.pymode.operator.api.v1alpha1.workflow.PyModeWorkflowStatus;
import dev.pymode.operator.api.v1alpha1.workflow.WorkflowRun;
import dev.pymode.operator.status.ConditionTypes;
import dev.pymode.operator.status.StageResult;
import dev.pymode.operator.status.StageResult.Outcome;
import dev.pymode.operator.support.RecordingEvents;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The workflow's {@code Scheduled} stage against a worker that answers from a script (no stand-in, no cluster): a run
 * requested by annotation starts once, unfinished runs are followed to their end with one event per transition, the
 * cron's runs are picked up once, and the stage says when to look again.
 */
@Tag("unit")
class WorkflowRunStageTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Instant NOW = Instant.parse("2026-12-07T10:00:00Z");

    /** The worker's /workflow endpoints, answering what the test put in. */
    private static final class ScriptedWorker extends WorkflowEndpoint {
        final Map<String, String> states = new HashMap<>();
        final List<RunRequest> started = new ArrayList<>();
        final List<String> listed = new ArrayList<>();
        String runAnswer;
        boolean unreachable;

        ScriptedWorker() {
            super(MAPPER, Optional.empty());
        }

        @Override
        public JsonNode run(Target target, RunRequest run) {
            started.add(run);
            states.putIfAbsent(run.id(), "running");
            return json(runAnswer != null ? runAnswer : "{\"id\": \"" + run.id() + "\", \"state\": \"running\"}");
        }

        @Override
        public JsonNode status(Target target, String runId) {
            if (unreachable) {
                throw new WorkflowCallException("GET /workflow/status: connection refused", null);
            }
            return json("{\"id\": \"" + runId + "\", \"state\": \"" + states.get(runId) + "\", \"error\": "
                    + ("failed".equals(states.get(runId)) ? "\"boom\"" : "null") + "}");
        }

        @Override
        public JsonNode runs(Target target, String workflow, int limit) {
            return json("[" + String.join(",", listed) + "]");
        }
    }

    private final ScriptedWorker endpoint = new ScriptedWorker();
    /** Events the stage records, as "Type/Reason". */
    private final List<String> recorded = new ArrayList<>();
    private final RecordingEvents events = new RecordingEvents(recorded, (resource, type, reason, message) -> type + "/"
            + reason);
    private final WorkflowTokens tokens = new WorkflowTokens(null) {
        @Override
        public Optional<String> of(PyModeWorker worker) {
            return Optional.of("token");
        }
    };

    private StageResult run(PyModeWorkflow workflow, PyModeWorkflowStatus status, PyModeWorker worker, Instant now) {
        return new PyModeWorkflowReconciler(null, endpoint, tokens, events, Clock.fixed(now, ZoneOffset.UTC))
                .runStage(workflow, status, worker);
    }

    private static JsonNode json(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static PyModeWorkflow workflow(String schedule, Map<String, String> annotations) {
        var spec = new PyModeWorkflowSpec();
        spec.setWorkerRef(new LocalObjectReference("orders"));
        spec.setWorkflow("nightly");
        spec.setSchedule(schedule);
        var workflow = new PyModeWorkflow();
        workflow.setMetadata(new ObjectMetaBuilder().withName("orders-nightly").withNamespace("ns")
                .withAnnotations(annotations).build());
        workflow.setSpec(spec);
        return workflow;
    }

    private static PyModeWorker worker(WorkerSchedule... deployedCrons) {
        var deployment = new WorkerDeployment();
        deployment.setScriptName("orders");
        deployment.setUrl("https://orders.example.workers.dev");
        deployment.setSchedules(List.of(deployedCrons));
        var status = new PyModeWorkerStatus();
        status.setDeployment(deployment);
        var worker = new PyModeWorker();
        worker.setMetadata(new ObjectMetaBuilder().withName("orders").withNamespace("ns").build());
        worker.setStatus(status);
        return worker;
    }

    /** A run status already records as running. */
    private static WorkflowRun runningIn(PyModeWorkflowStatus status, String id) {
        var run = new WorkflowRun();
        run.setId(id);
        run.setState("Running");
        status.getRuns().add(run);
        return run;
    }

    private static Map<String, String> requested(String at) {
        return Map.of(PyModeWorkflow.RUN_REQUESTED_AT, at);
    }

    @Test
    void aRequestedRunStartsOnceAndIsPolledUntilItEnds() {
        PyModeWorkflow workflow = workflow(null, requested("2026-12-07T09:59:58Z"));
        var status = new PyModeWorkflowStatus();

        StageResult first = run(workflow, status, worker(), NOW);
        String id = "orders-nightly-" + NOW.getEpochSecond();
        assertThat(endpoint.started).extracting(WorkflowEndpoint.RunRequest::id).containsExactly(id);
        assertThat(status.getRuns()).extracting(WorkflowRun::getId, WorkflowRun::getState, WorkflowRun::getTrigger)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(id, "Running", "Manual"));
        assertThat(status.getLastHandledRunRequest()).isEqualTo("2026-12-07T09:59:58Z");
        assertThat(first.conditionType()).isEqualTo(ConditionTypes.SCHEDULED);
        assertThat(first.outcome()).isEqualTo(Outcome.SUCCEEDED);
        assertThat(first.message()).isEqualTo("run " + id + " in progress");
        assertThat(first.retryAfter()).contains(Duration.ofSeconds(3));

        // the same annotation again: no second run; the worker finishes the first
        endpoint.states.put(id, "completed");
        StageResult second = run(workflow, status, worker(), NOW.plusSeconds(3));
        assertThat(endpoint.started).hasSize(1);
        assertThat(status.getRuns().get(0).getState()).isEqualTo("Succeeded");
        assertThat(status.getRuns().get(0).getFinishedAt()).isEqualTo("2026-12-07T10:00:03Z");
        assertThat(second.message()).isEqualTo("runs on request");
        assertThat(second.retryAfter()).contains(Duration.ofMinutes(10));
        assertThat(recorded).containsExactly("Normal/RunStarted", "Normal/RunSucceeded");
    }

    @Test
    void aRunTheWorkerSkipsIsNotRecorded() {
        endpoint.runAnswer = "{\"state\": \"skipped\", \"reason\": \"run orders-nightly-1 has not finished\"}";
        var status = new PyModeWorkflowStatus();
        run(workflow(null, requested("t1")), status, worker(), NOW);
        assertThat(status.getRuns()).isEmpty();
        assertThat(status.getLastHandledRunRequest()).as("handled: a skipped request is not retried").isEqualTo("t1");
        assertThat(recorded).containsExactly("Normal/RunSkipped");
    }

    @Test
    void aFailedRunIsAWarningWithItsError() {
        var status = new PyModeWorkflowStatus();
        WorkflowRun running = runningIn(status, "orders-nightly-100");
        endpoint.states.put("orders-nightly-100", "failed");
        run(workflow(null, Map.of()), status, worker(), NOW);
        assertThat(running.getState()).isEqualTo("Failed");
        assertThat(running.getError()).isEqualTo("boom");
        assertThat(recorded).containsExactly("Warning/RunFailed");
    }

    @Test
    void aScheduleWaitsForItsCronTriggerOnTheScript() {
        var status = new PyModeWorkflowStatus();
        status.setNextScheduleTime("2026-12-08T03:00:00Z");
        StageResult pending = run(workflow("0 3 * * *", Map.of()), status, worker(), NOW);
        assertThat(pending.outcome()).isEqualTo(Outcome.PROGRESSING);
        assertThat(pending.reason()).isEqualTo("CronTriggerPending");
        assertThat(status.getNextScheduleTime()).isNull();
    }

    @Test
    void theCronsRunsArePickedUpOnceAndTheNextFiringIsAnnounced() {
        String cron = CronSchedule.cloudflareExpression("0 3 * * *");
        PyModeWorker worker = worker(new WorkerSchedule("orders-nightly", cron));
        long fired = Instant.parse("2026-12-07T03:00:00Z").getEpochSecond();
        endpoint.listed.add("{\"id\": \"orders-nightly-" + fired + "\", \"trigger\": \"Schedule\", \"state\": \"completed\"}");
        endpoint.listed.add("{\"id\": \"orders-nightly-" + (fired - 86400) + "\", \"trigger\": \"Manual\", \"state\": \"completed\"}");
        endpoint.listed.add("{\"id\": \"someone-else-" + fired + "\", \"trigger\": \"Schedule\", \"state\": \"completed\"}");
        var status = new PyModeWorkflowStatus();

        StageResult result = run(workflow("0 3 * * *", Map.of()), status, worker, NOW);
        assertThat(status.getRuns()).extracting(WorkflowRun::getId, WorkflowRun::getTrigger, WorkflowRun::getState)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("orders-nightly-" + fired, "Schedule", "Succeeded"));
        assertThat(status.getLastScheduleTime()).isEqualTo("2026-12-07T03:00:00Z");
        assertThat(status.getNextScheduleTime()).isEqualTo("2026-12-08T03:00:00Z");
        assertThat(result.message()).isEqualTo("next run at 2026-12-08T03:00:00Z (cron trigger '" + cron
                + "' on script orders)");
        // looked at again just after the next firing
        assertThat(result.retryAfter()).contains(Duration.ofHours(17).plusSeconds(10));
        assertThat(recorded).containsExactly("Normal/RunStarted", "Normal/RunSucceeded");

        // listed again on the next pass: already known, nothing new
        run(workflow("0 3 * * *", Map.of()), status, worker, NOW.plusSeconds(60));
        assertThat(status.getRuns()).hasSize(1);
        assertThat(recorded).hasSize(2);
    }

    @Test
    void aSuspendedScheduleHasNoNextRun() {
        var status = new PyModeWorkflowStatus();
        status.setNextScheduleTime("2026-12-08T03:00:00Z");
        PyModeWorkflow workflow = workflow("0 3 * * *", Map.of());
        workflow.getSpec().setSuspend(true);
        StageResult result = run(workflow, status, worker(), NOW);
        assertThat(status.getNextScheduleTime()).isNull();
        assertThat(result.message()).isEqualTo("runs on request");
    }

    @Test
    void anUnreachableWorkerIsATransientFailure() {
        var status = new PyModeWorkflowStatus();
        WorkflowRun running = runningIn(status, "r1");
        endpoint.unreachable = true;
        StageResult result = run(workflow(null, Map.of()), status, worker(), NOW);
        assertThat(result.outcome()).isEqualTo(Outcome.FAILED_TRANSIENT);
        assertThat(result.reason()).isEqualTo("WorkerUnreachable");
        assertThat(running.getState()).isEqualTo("Running");
    }

    @Test
    void theWorkerMustBeReadyWithAUrlFirst() {
        assertThat(PyModeWorkflowReconciler.workerStage("ns", "orders", null).reason()).isEqualTo("WorkerNotFound");
        PyModeWorker notReady = worker();
        assertThat(PyModeWorkflowReconciler.workerStage("ns", "orders", notReady).reason()).isEqualTo("WorkerNotReady");
    }

    @Test
    void anInvalidScheduleStallsOnlyThisWorkflow() {
        assertThat(PyModeWorkflowReconciler.scheduleProblem(workflow("61 * * * *", Map.of())))
                .hasValueSatisfying(r -> {
                    assertThat(r.reason()).isEqualTo("InvalidSchedule");
                    assertThat(r.outcome()).isEqualTo(Outcome.FAILED_TERMINAL);
                });
        assertThat(PyModeWorkflowReconciler.scheduleProblem(workflow("0 3 * * *", Map.of()))).isEmpty();
        assertThat(PyModeWorkflowReconciler.scheduleProblem(workflow(null, Map.of()))).isEmpty();
    }
}
