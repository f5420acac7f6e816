package dev.pymode.operator.workflow;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorker;
import dev.pymode.operator.api.v1alpha1.workflow.ConcurrencyPolicy;
import dev.pymode.operator.api.v1alpha1.workflow.PyModeWorkflow;
import dev.pymode.operator.api.v1alpha1.workflow.PyModeWorkflowStatus;
import dev.pymode.operator.api.v1alpha1.workflow.WorkflowRun;
import dev.pymode.operator.events.EventRecorder;
import dev.pymode.operator.status.ConditionTypes;
import dev.pymode.operator.status.Conditions;
import dev.pymode.operator.status.StageResult;
import dev.pymode.operator.status.StatusAggregator;
import dev.pymode.operator.status.StatusUpdates;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;

/**
 * Reconciles PyModeWorkflow: once the worker that defines it is Ready, starts runs when the cron schedule is
 * due or the run-requested-at annotation changes, follows unfinished runs through the worker's
 * {@code /workflow/status}, and keeps recent runs in status.
 *
 * <p>Schedules are kept by the operator (the next firing is a requeue), not deployed as Cloudflare cron
 * triggers: neither the client nor the local stand-in supports the schedules API yet.
 */
@ControllerConfiguration(name = PyModeWorkflowReconciler.NAME)
public class PyModeWorkflowReconciler implements Reconciler<PyModeWorkflow> {

    public static final String NAME = "pymodeworkflow";
    private static final Duration WORKER_RECHECK = Duration.ofSeconds(30);
    private static final Duration RUN_POLL = Duration.ofSeconds(3);
    private static final Duration WORKER_RETRY = Duration.ofSeconds(15);

    private final StatusAggregator aggregator;
    private final WorkflowEndpoint endpoint;
    private final EventRecorder events;
    private final Clock clock;

    public PyModeWorkflowReconciler(StatusAggregator aggregator, WorkflowEndpoint endpoint, EventRecorder events,
                                    Clock clock) {
        this.aggregator = aggregator;
        this.endpoint = endpoint;
        this.events = events;
        this.clock = clock;
    }

    @Override
    public UpdateControl<PyModeWorkflow> reconcile(PyModeWorkflow workflow, Context<PyModeWorkflow> context) {
        String namespace = workflow.getMetadata().getNamespace();
        String workerName = workflow.getSpec().getWorkerRef().getName();
        PyModeWorker worker = context.getClient().resources(PyModeWorker.class)
                .inNamespace(namespace).withName(workerName).get();
        PyModeWorkflowStatus status = workflow.getStatus() != null ? workflow.getStatus() : new PyModeWorkflowStatus();
        StageResult workerStage = workerStage(namespace, workerName, worker);
        List<StageResult> stages = new ArrayList<>(List.of(workerStage));
        if (workerStage.succeeded()) {
            stages.add(runStage(workflow, status, worker.getStatus().getDeployment().getUrl()));
        }
        return StatusUpdates.patch(aggregator, workflow, status, stages);
    }

    static StageResult workerStage(String namespace, String name, PyModeWorker worker) {
        if (worker == null) {
            return StageResult.progressing(ConditionTypes.WORKER_READY, "WorkerNotFound",
                    "waiting for PyModeWorker " + namespace + "/" + name, WORKER_RECHECK);
        }
        if (worker.getStatus() == null || !Conditions.isTrue(worker.getStatus().getConditions(), ConditionTypes.READY)
                || worker.getStatus().getDeployment() == null || worker.getStatus().getDeployment().getUrl() == null) {
            return StageResult.progressing(ConditionTypes.WORKER_READY, "WorkerNotReady",
                    "waiting for PyModeWorker " + namespace + "/" + name + " to be Ready with a URL", WORKER_RECHECK);
        }
        return StageResult.succeeded(ConditionTypes.WORKER_READY, "WorkerReady",
                "PyModeWorker " + namespace + "/" + name + " is Ready");
    }

    /** The {@code Scheduled} stage: trigger due runs, follow unfinished ones, say when to look again. */
    private StageResult runStage(PyModeWorkflow workflow, PyModeWorkflowStatus status, String url) {
        var spec = workflow.getSpec();
        Instant now = clock.instant();
        try {
            for (WorkflowRun run : status.getRuns()) {
                if (!WorkflowRuns.finished(run)) {
                    WorkflowRun before = copyState(run);
                    WorkflowRuns.update(run, endpoint.status(url, run.getId()), timestamp(now));
                    announce(workflow, before, run);
                }
            }
            String requested = workflow.getMetadata().getAnnotations() == null ? null
                    : workflow.getMetadata().getAnnotations().get(PyModeWorkflow.RUN_REQUESTED_AT);
            if (requested != null && !requested.equals(status.getLastHandledRunRequest())) {
                start(workflow, status, url, "Manual", now);
                status.setLastHandledRunRequest(requested);
            }
            Optional<Instant> next = Optional.empty();
            if (spec.getSchedule() != null && !Boolean.TRUE.equals(spec.getSuspend())) {
                CronSchedule cron = CronSchedule.parse(spec.getSchedule());
                Instant since = status.getLastScheduleTime() != null ? Instant.parse(status.getLastScheduleTime())
                        : workflow.getMetadata().getCreationTimestamp() != null
                        ? Instant.parse(workflow.getMetadata().getCreationTimestamp()) : now;
                Optional<Instant> due = cron.nextAfter(since);
                if (due.isPresent() && !due.get().isAfter(now)) {
                    // One run for the latest missed firing, not one per firing missed while the worker was down.
                    start(workflow, status, url, "Schedule", now);
                    status.setLastScheduleTime(timestamp(due.get()));
                }
                next = cron.nextAfter(now);
                status.setNextScheduleTime(next.map(WorkflowRunsTime::format).orElse(null));
            } else {
                status.setNextScheduleTime(null);
            }
            status.setRuns(WorkflowRuns.trim(status.getRuns(), spec.getHistoryLimit()));

            boolean active = status.getRuns().stream().anyMatch(r -> !WorkflowRuns.finished(r));
            Duration recheck = active ? RUN_POLL
                    : next.map(n -> Duration.between(now, n)).orElse(Duration.ofMinutes(10));
            String summary = active ? "run " + status.getRuns().get(0).getId() + " in progress"
                    : next.map(n -> "next run at " + WorkflowRunsTime.format(n)).orElse("runs on request");
            // Succeeded with a requeue: Ready stays true between firings, the requeue keeps the schedule.
            return new StageResult(ConditionTypes.SCHEDULED, StageResult.Outcome.SUCCEEDED, "Scheduled", summary,
                    Optional.of(recheck.isNegative() ? Duration.ofSeconds(1) : recheck));
        } catch (WorkflowEndpoint.WorkflowCallException e) {
            return StageResult.transientFailure(ConditionTypes.SCHEDULED, "WorkerUnreachable", e.getMessage(),
                    WORKER_RETRY);
        }
    }

    private void start(PyModeWorkflow workflow, PyModeWorkflowStatus status, String url, String trigger, Instant now) {
        var spec = workflow.getSpec();
        boolean running = status.getRuns().stream().anyMatch(r -> !WorkflowRuns.finished(r));
        if (running && spec.getConcurrencyPolicy() == ConcurrencyPolicy.Forbid) {
            events.normal(workflow, "RunSkipped", trigger + " run skipped: a run is still in progress (Forbid)");
            return;
        }
        // A deterministic id makes a retried trigger (after a failed status patch) idempotent on the worker.
        String id = workflow.getMetadata().getName() + "-" + now.truncatedTo(ChronoUnit.SECONDS).getEpochSecond();
        JsonNode answer = endpoint.run(url, spec.getWorkflow(), spec.getInput(), id);
        WorkflowRun run = new WorkflowRun();
        run.setId(answer.path("id").asText(id));
        run.setTrigger(trigger);
        run.setStartedAt(timestamp(now));
        run.setState(WorkflowRuns.state(answer.path("state").asText("running")));
        // short workflows finish within the run call: read their steps now, not on a later poll
        WorkflowRuns.update(run, endpoint.status(url, run.getId()), timestamp(now));
        status.getRuns().add(0, run);
        events.normal(workflow, "RunStarted", trigger + " run " + run.getId() + " of workflow " + spec.getWorkflow());
    }

    private void announce(PyModeWorkflow workflow, WorkflowRun before, WorkflowRun after) {
        if (before.getState().equals(after.getState())) {
            return;
        }
        if (WorkflowRuns.SUCCEEDED.equals(after.getState())) {
            events.normal(workflow, "RunSucceeded", "run " + after.getId() + " succeeded");
        } else if (WorkflowRuns.FAILED.equals(after.getState())) {
            events.warning(workflow, "RunFailed", "run " + after.getId() + " failed: " + after.getError());
        }
    }

    private static WorkflowRun copyState(WorkflowRun run) {
        WorkflowRun copy = new WorkflowRun();
        copy.setState(run.getState() == null ? WorkflowRuns.PENDING : run.getState());
        return copy;
    }

    private static String timestamp(Instant instant) {
        return WorkflowRunsTime.format(instant);
    }

    @Override
    public ErrorStatusUpdateControl<PyModeWorkflow> updateErrorStatus(PyModeWorkflow workflow,
                                                                      Context<PyModeWorkflow> context, Exception e) {
        return StatusUpdates.error(aggregator, workflow,
                workflow.getStatus() != null ? workflow.getStatus() : new PyModeWorkflowStatus(), e);
    }
}
