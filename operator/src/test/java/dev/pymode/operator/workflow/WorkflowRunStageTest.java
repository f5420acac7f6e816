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
 * cron's runs are picked up once, the worker's runs are listed only after a firing (not on every reconcile), and the
 * stage says when to look again.
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
        /** Calls of GET /workflow/runs: each starts the Cloudflare Worker. */
        int listings;
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
            listings++;
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

    /** The stage as reconcile runs it: after forgetting the checked schedule of a trigger no longer in force. */
    private StageResult run(PyModeWorkflow workflow, PyModeWorkflowStatus status, PyModeWorker worker, Instant now) {
        PyModeWorkflowReconciler.forgetCheckedScheduleOutOfForce(workflow, status);
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
        Instant justAfter = Instant.parse("2026-12-07T03:01:00Z"); // first seen within the grace of the firing

        StageResult result = run(workflow("0 3 * * *", Map.of()), status, worker, justAfter);
        assertThat(status.getRuns()).extracting(WorkflowRun::getId, WorkflowRun::getTrigger, WorkflowRun::getState)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("orders-nightly-" + fired, "Schedule", "Succeeded"));
        assertThat(status.getLastScheduleTime()).isEqualTo("2026-12-07T03:00:00Z");
        assertThat(status.getNextScheduleTime()).isEqualTo("2026-12-08T03:00:00Z");
        assertThat(result.message()).isEqualTo("next run at 2026-12-08T03:00:00Z (cron trigger '" + cron
                + "' on script orders)");
        // looked at again just after the next firing
        assertThat(result.retryAfter()).contains(Duration.ofHours(24).minusSeconds(50));
        assertThat(recorded).containsExactly("Normal/RunStarted", "Normal/RunSucceeded");

        // the next pass, before the next firing, does not ask the worker again
        run(workflow("0 3 * * *", Map.of()), status, worker, justAfter.plusSeconds(60));
        assertThat(endpoint.listings).isEqualTo(1);
        assertThat(status.getRuns()).hasSize(1);
        assertThat(recorded).hasSize(2);
    }

    private static final String DAILY = "0 3 * * *";
    private static final Instant NEXT_FIRING = Instant.parse("2026-12-08T03:00:00Z");

    private static PyModeWorker workerWith(String schedule) {
        return worker(new WorkerSchedule("orders-nightly", CronSchedule.cloudflareExpression(schedule)));
    }

    private static String scheduledRun(Instant firing, String state) {
        return "{\"id\": \"orders-nightly-" + firing.getEpochSecond() + "\", \"trigger\": \"Schedule\", "
                + "\"state\": \"" + state + "\"}";
    }

    /**
     * A daily workflow first seen at NOW, seven hours after today's 03:00 firing (its run is on the worker, as after
     * an upgrade or a restore): nothing is listed, since no firing is within the grace; the listing count is 0.
     */
    private PyModeWorkflowStatus firstSeenAtNow(PyModeWorkflow workflow) {
        endpoint.listed.add(scheduledRun(Instant.parse("2026-12-07T03:00:00Z"), "completed"));
        var status = new PyModeWorkflowStatus();
        StageResult first = run(workflow, status, workerWith(DAILY), NOW);
        assertThat(endpoint.listings).as("the first sight, no firing within the grace").isZero();
        assertThat(status.getScheduleCheckedThrough()).isEqualTo("2026-12-07T09:58:00Z");
        assertThat(status.getCheckedSchedule()).isEqualTo(DAILY);
        assertThat(first.retryAfter()).contains(Duration.ofHours(17).plusSeconds(10));
        return status;
    }

    @Test
    void aFirstSightWithinTheGraceOfAFiringLooksForItsRun() {
        PyModeWorkflow workflow = workflow(DAILY, Map.of());
        Instant firing = Instant.parse("2026-12-07T03:00:00Z");
        endpoint.listed.add(scheduledRun(firing, "completed"));
        var status = new PyModeWorkflowStatus();
        run(workflow, status, workerWith(DAILY), firing.plusSeconds(60));
        assertThat(endpoint.listings).isEqualTo(1);
        assertThat(status.getRuns()).extracting(WorkflowRun::getId)
                .containsExactly("orders-nightly-" + firing.getEpochSecond());
        assertThat(status.getScheduleCheckedThrough()).isEqualTo("2026-12-07T03:00:00Z");
    }

    @Test
    void betweenFiringsReconcilesDoNotAskTheWorker() {
        PyModeWorkflow workflow = workflow(DAILY, Map.of());
        var status = firstSeenAtNow(workflow);
        for (int hour = 1; hour <= 5; hour++) {
            StageResult result = run(workflow, status, workerWith(DAILY), NOW.plus(Duration.ofHours(hour)));
            assertThat(result.retryAfter()).contains(Duration.ofHours(17 - hour).plusSeconds(10));
        }
        assertThat(endpoint.listings).as("5 resyncs an hour apart before the next firing").isZero();
        // nor just after the firing, before its run has had AFTER_FIRING to appear
        StageResult early = run(workflow, status, workerWith(DAILY), NEXT_FIRING.plusSeconds(4));
        assertThat(endpoint.listings).isZero();
        assertThat(early.retryAfter()).contains(Duration.ofSeconds(6));
    }

    @Test
    void aFiringWhoseRunIsFoundIsListedOnce() {
        PyModeWorkflow workflow = workflow(DAILY, Map.of());
        var status = firstSeenAtNow(workflow);
        endpoint.listed.add(0, scheduledRun(NEXT_FIRING, "completed"));

        StageResult result = run(workflow, status, workerWith(DAILY), NEXT_FIRING.plusSeconds(10));
        assertThat(endpoint.listings).isEqualTo(1);
        assertThat(status.getRuns()).extracting(WorkflowRun::getId)
                .containsExactly("orders-nightly-" + NEXT_FIRING.getEpochSecond(), "orders-nightly-1796612400");
        assertThat(status.getScheduleCheckedThrough()).isEqualTo("2026-12-08T03:00:00Z");
        assertThat(result.retryAfter()).contains(Duration.ofHours(24));

        for (Instant later : List.of(NEXT_FIRING.plusSeconds(20), NEXT_FIRING.plusSeconds(300),
                NEXT_FIRING.plus(Duration.ofHours(1)))) {
            run(workflow, status, workerWith(DAILY), later);
        }
        assertThat(endpoint.listings).isEqualTo(1);
    }

    @Test
    void aMissingRunIsLookedForWithinTheGraceOnlyAndRecordedIfItAppearsLater() {
        PyModeWorkflow workflow = workflow(DAILY, Map.of());
        var status = firstSeenAtNow(workflow);
        List<Duration> retries = new ArrayList<>();
        for (int second = 10; second <= 300; second += 10) {
            run(workflow, status, workerWith(DAILY), NEXT_FIRING.plusSeconds(second)).retryAfter().ifPresent(retries::add);
        }
        // every 10 s from 03:00:10 through 03:02:00, when the firing is as old as the grace and given up
        assertThat(endpoint.listings).isEqualTo(12);
        assertThat(retries.subList(0, 11)).containsOnly(Duration.ofSeconds(10));
        assertThat(retries.get(11)).isEqualTo(Duration.ofHours(24).minusSeconds(110));
        assertThat(status.getScheduleCheckedThrough()).isEqualTo("2026-12-08T03:00:00Z");

        // it appears after all: the listing after the next firing records it beside the new one
        Instant third = NEXT_FIRING.plus(Duration.ofDays(1));
        endpoint.listed.add(0, scheduledRun(NEXT_FIRING, "completed"));
        endpoint.listed.add(0, scheduledRun(third, "completed"));
        run(workflow, status, workerWith(DAILY), third.plusSeconds(10));
        assertThat(endpoint.listings).isEqualTo(13);
        assertThat(status.getRuns()).extracting(WorkflowRun::getId).startsWith(
                "orders-nightly-" + third.getEpochSecond(), "orders-nightly-" + NEXT_FIRING.getEpochSecond());
        assertThat(status.getScheduleCheckedThrough()).isEqualTo(WorkflowRunsTime.format(third));
    }

    @Test
    void aRunThatAppearsWithinTheGraceEndsTheLooking() {
        PyModeWorkflow workflow = workflow(DAILY, Map.of());
        var status = firstSeenAtNow(workflow);
        run(workflow, status, workerWith(DAILY), NEXT_FIRING.plusSeconds(10));
        assertThat(status.getScheduleCheckedThrough()).as("not found yet").isEqualTo("2026-12-07T09:58:00Z");
        endpoint.listed.add(0, scheduledRun(NEXT_FIRING, "running"));
        endpoint.states.put("orders-nightly-" + NEXT_FIRING.getEpochSecond(), "completed");
        run(workflow, status, workerWith(DAILY), NEXT_FIRING.plusSeconds(20));
        assertThat(status.getScheduleCheckedThrough()).isEqualTo("2026-12-08T03:00:00Z");
        // the unfinished run is followed through /workflow/status, without listing again
        run(workflow, status, workerWith(DAILY), NEXT_FIRING.plusSeconds(23));
        assertThat(status.getRuns().get(0).getState()).isEqualTo("Succeeded");
        assertThat(endpoint.listings).isEqualTo(2);
    }

    @Test
    void aRunThatShowsBeforeItsFiringIsDueIsNotLookedForAgain() {
        String everyMinute = "* * * * *";
        PyModeWorkflow workflow = workflow(everyMinute, Map.of());
        var status = new PyModeWorkflowStatus();
        status.setCheckedSchedule(everyMinute);
        status.setScheduleCheckedThrough("2026-12-07T09:59:00Z");
        status.setLastScheduleTime("2026-12-07T09:59:00Z");
        // listed for 10:00's firing at 10:01:05, when 10:01's run (5 s old, not due a look yet) already shows
        endpoint.listed.add(scheduledRun(Instant.parse("2026-12-07T10:01:00Z"), "completed"));
        endpoint.listed.add(scheduledRun(Instant.parse("2026-12-07T10:00:00Z"), "completed"));
        StageResult result = run(workflow, status, workerWith(everyMinute), Instant.parse("2026-12-07T10:01:05Z"));
        assertThat(endpoint.listings).isEqualTo(1);
        assertThat(status.getRuns()).hasSize(2);
        assertThat(status.getScheduleCheckedThrough()).isEqualTo("2026-12-07T10:01:00Z");
        assertThat(result.retryAfter()).contains(Duration.ofSeconds(65));
        run(workflow, status, workerWith(everyMinute), Instant.parse("2026-12-07T10:01:10Z"));
        assertThat(endpoint.listings).isEqualTo(1);
    }

    @Test
    void anEditedScheduleDoesNotListForFiringsBeforeTheEdit() {
        var status = firstSeenAtNow(workflow(DAILY, Map.of()));
        // 0 4 * * * fired at 04:00 today, after the last look: its trigger was not on the script then
        PyModeWorkflow edited = workflow("0 4 * * *", Map.of());
        StageResult result = run(edited, status, workerWith("0 4 * * *"), NOW.plusSeconds(60));
        assertThat(endpoint.listings).isZero();
        assertThat(status.getScheduleCheckedThrough()).isEqualTo("2026-12-07T10:01:00Z");
        assertThat(status.getCheckedSchedule()).isEqualTo("0 4 * * *");
        assertThat(result.retryAfter()).contains(Duration.ofHours(18).minusSeconds(50));

        // the same while the worker deploys the new trigger first (the stage waits for it, then starts afresh)
        PyModeWorkflow again = workflow("30 5 * * *", Map.of());
        run(again, status, workerWith("0 4 * * *"), NOW.plus(Duration.ofHours(1)));
        assertThat(status.getCheckedSchedule()).as("the trigger in force is not this one").isNull();
        run(again, status, workerWith("30 5 * * *"), NOW.plus(Duration.ofHours(2)));
        assertThat(endpoint.listings).isZero();
        assertThat(status.getScheduleCheckedThrough()).isEqualTo("2026-12-07T12:00:00Z");

        // its next firing is looked for as any other
        run(again, status, workerWith("30 5 * * *"), Instant.parse("2026-12-08T05:30:10Z"));
        assertThat(endpoint.listings).isEqualTo(1);
    }

    @Test
    void aResumedScheduleDoesNotListForTheFiringsWhileSuspended() {
        PyModeWorkflow workflow = workflow(DAILY, Map.of());
        var status = firstSeenAtNow(workflow);
        workflow.getSpec().setSuspend(true);
        run(workflow, status, worker(), NOW.plus(Duration.ofHours(1)));
        assertThat(status.getCheckedSchedule()).isNull();

        // resumed two days later: the firings of 8 and 9 December happened without a trigger on the script
        workflow.getSpec().setSuspend(false);
        Instant resumed = Instant.parse("2026-12-09T10:00:00Z");
        StageResult result = run(workflow, status, workerWith(DAILY), resumed);
        assertThat(endpoint.listings).isZero();
        assertThat(status.getScheduleCheckedThrough()).isEqualTo("2026-12-09T10:00:00Z");
        assertThat(result.retryAfter()).contains(Duration.ofHours(17).plusSeconds(10));
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
