package dev.pymode.operator.workflow;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Comparator;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorker;
import dev.pymode.operator.api.v1alpha1.workflow.PyModeWorkflow;
import dev.pymode.operator.api.v1alpha1.workflow.PyModeWorkflowStatus;
import dev.pymode.operator.api.v1alpha1.workflow.WorkflowRun;
import dev.pymode.operator.events.EventRecorder;
import dev.pymode.operator.kube.SecretValues;
import dev.pymode.operator.status.ConditionTypes;
import dev.pymode.operator.status.Conditions;
import dev.pymode.operator.status.StageResult;
import dev.pymode.operator.status.StatusAggregator;
import dev.pymode.operator.status.StatusUpdates;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;

/**
 * Reconciles PyModeWorkflow: once the worker that defines it is Ready, checks that its schedule is deployed as
 * a Cloudflare cron trigger of the worker's script (the PyModeWorker reconciler deploys it; Cloudflare fires
 * it and the Worker starts the run), starts manual runs when the run-requested-at annotation changes, picks up
 * the runs the cron started (asking the worker only after a firing: {@link ScheduledRunLookout}), follows
 * unfinished runs through the worker's {@code /workflow/status}, and keeps recent runs in status.
 */
@ControllerConfiguration(name = PyModeWorkflowReconciler.NAME)
public class PyModeWorkflowReconciler implements Reconciler<PyModeWorkflow> {

    public static final String NAME = "pymodeworkflow";
    private static final Duration WORKER_RECHECK = Duration.ofSeconds(30);
    private static final Duration RUN_POLL = Duration.ofSeconds(3);
    private static final Duration WORKER_RETRY = Duration.ofSeconds(15);
    private static final Duration TRIGGER_RECHECK = Duration.ofSeconds(10);
    private static final int LISTED_RUNS = 20;
    private static final String WORKER_INDEX = "workerRef";

    private final StatusAggregator aggregator;
    private final WorkflowEndpoint endpoint;
    private final WorkflowTokens tokens;
    private final EventRecorder events;
    private final Clock clock;

    public PyModeWorkflowReconciler(StatusAggregator aggregator, WorkflowEndpoint endpoint, WorkflowTokens tokens,
                                    EventRecorder events, Clock clock) {
        this.aggregator = aggregator;
        this.endpoint = endpoint;
        this.tokens = tokens;
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
        forgetCheckedScheduleOutOfForce(workflow, status);
        Optional<StageResult> invalid = scheduleProblem(workflow);
        if (invalid.isPresent()) {
            status.setNextScheduleTime(null);
            return StatusUpdates.patch(aggregator, workflow, status, List.of(invalid.get()));
        }
        StageResult workerStage = workerStage(namespace, workerName, worker);
        // SpecValid is recorded either way, so a fixed schedule clears the earlier InvalidSchedule.
        List<StageResult> stages = new ArrayList<>(List.of(StageResult.succeeded(ConditionTypes.SPEC_VALID, "Valid",
                "the spec is valid"), workerStage));
        if (workerStage.succeeded()) {
            stages.add(runStage(workflow, status, worker));
        }
        return StatusUpdates.patch(aggregator, workflow, status, stages);
    }

    /**
     * An invalid schedule stalls this workflow, and only it: WorkerSchedules leaves it out of the worker's cron
     * triggers, so the worker and its other workflows carry on. A new spec reconciles again at once.
     */
    static Optional<StageResult> scheduleProblem(PyModeWorkflow workflow) {
        var spec = workflow.getSpec();
        if (spec.getSchedule() == null) {
            return Optional.empty();
        }
        return CronSchedule.problem(spec.getSchedule()).map(problem -> StageResult.terminalFailure(
                ConditionTypes.SPEC_VALID, "InvalidSchedule", "schedule '" + spec.getSchedule() + "': " + problem
                        + "; it is not deployed as a cron trigger of PyModeWorker " + spec.getWorkerRef().getName()));
    }

    /** Whether the spec asks for a cron trigger: a valid schedule, not suspended (WorkerSchedules deploys those). */
    static boolean scheduleInForce(PyModeWorkflow workflow) {
        return workflow.getSpec().getSchedule() != null && !Boolean.TRUE.equals(workflow.getSpec().getSuspend())
                && scheduleProblem(workflow).isEmpty();
    }

    /**
     * While no trigger is in force (no schedule, suspended, invalid) its firings start no run: forgetting which
     * schedule was checked makes the next trigger in force start looking afresh (lookForScheduledRuns). Done before
     * the worker is read, so a resume while the worker is not Ready is seen too.
     */
    static void forgetCheckedScheduleOutOfForce(PyModeWorkflow workflow, PyModeWorkflowStatus status) {
        if (!scheduleInForce(workflow)) {
            status.setCheckedSchedule(null);
        }
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

    /**
     * The {@code Scheduled} stage: follow runs, start a requested one, check the cron trigger, say when to look again.
     * Package-visible for its unit test (a fake endpoint stands for the worker).
     */
    StageResult runStage(PyModeWorkflow workflow, PyModeWorkflowStatus status, PyModeWorker worker) {
        var spec = workflow.getSpec();
        Instant now = clock.instant();
        try {
            WorkflowEndpoint.Target target = new WorkflowEndpoint.Target(worker.getStatus().getDeployment().getUrl(),
                    tokens.of(worker));
            for (WorkflowRun run : status.getRuns()) {
                if (!WorkflowRuns.finished(run)) {
                    WorkflowRun before = copyState(run);
                    WorkflowRuns.update(run, endpoint.status(target, run.getId()), timestamp(now));
                    announce(workflow, before, run);
                }
            }
            String requested = workflow.getMetadata().getAnnotations() == null ? null
                    : workflow.getMetadata().getAnnotations().get(PyModeWorkflow.RUN_REQUESTED_AT);
            if (requested != null && !requested.equals(status.getLastHandledRunRequest())) {
                startManualRun(workflow, status, target, now);
                status.setLastHandledRunRequest(requested);
            }

            Optional<Instant> next = Optional.empty();
            Optional<Duration> untilLook = Optional.empty();
            String trigger = null;
            if (scheduleInForce(workflow)) {
                String cron = CronSchedule.cloudflareExpression(spec.getSchedule());
                String script = worker.getStatus().getDeployment().getScriptName();
                boolean deployed = worker.getStatus().getDeployment().getSchedules().stream()
                        .anyMatch(s -> workflow.getMetadata().getName().equals(s.getWorkflow()) && cron.equals(s.getCron()));
                if (!deployed) {
                    status.setNextScheduleTime(null);
                    status.setCheckedSchedule(null);
                    return StageResult.progressing(ConditionTypes.SCHEDULED, "CronTriggerPending", "waiting for "
                            + "PyModeWorker " + worker.getMetadata().getName() + " to deploy the cron trigger '" + cron
                            + "' on script " + script, TRIGGER_RECHECK);
                }
                CronSchedule schedule = CronSchedule.parse(spec.getSchedule());
                untilLook = lookForScheduledRuns(workflow, status, target, cron, schedule, now);
                next = schedule.nextAfter(now);
                status.setNextScheduleTime(next.map(WorkflowRunsTime::format).orElse(null));
                trigger = "cron trigger '" + cron + "' on script " + script;
            } else {
                status.setNextScheduleTime(null);
            }
            status.setRuns(WorkflowRuns.trim(status.getRuns(), spec.getHistoryLimit()));

            boolean active = status.getRuns().stream().anyMatch(r -> !WorkflowRuns.finished(r));
            Duration recheck = active ? RUN_POLL : untilLook.orElse(Duration.ofMinutes(10));
            String summary = active ? "run " + status.getRuns().get(0).getId() + " in progress"
                    : next.map(n -> "next run at " + WorkflowRunsTime.format(n)).orElse("runs on request");
            if (trigger != null) {
                summary = summary + " (" + trigger + ")";
            }
            // Succeeded with a requeue: Ready stays true between firings, the requeue looks for the cron's runs.
            return new StageResult(ConditionTypes.SCHEDULED, StageResult.Outcome.SUCCEEDED, "Scheduled", summary,
                    Optional.of(recheck.isNegative() ? Duration.ofSeconds(1) : recheck));
        } catch (WorkflowEndpoint.WorkflowCallException e) {
            return StageResult.transientFailure(ConditionTypes.SCHEDULED, "WorkerUnreachable", e.getMessage(),
                    WORKER_RETRY);
        } catch (SecretValues.MissingSecretException e) {
            return StageResult.progressing(ConditionTypes.SCHEDULED, "SecretNotFound",
                    "the worker's " + WorkflowTokens.TOKEN_BINDING + ": " + e.getMessage(), WORKER_RECHECK);
        }
    }

    private void startManualRun(PyModeWorkflow workflow, PyModeWorkflowStatus status, WorkflowEndpoint.Target target,
                                Instant now) {
        var spec = workflow.getSpec();
        // A deterministic id makes a retried trigger (after a failed status patch) idempotent on the worker.
        String id = workflow.getMetadata().getName() + "-" + now.truncatedTo(ChronoUnit.SECONDS).getEpochSecond();
        JsonNode answer = endpoint.run(target, new WorkflowEndpoint.RunRequest(spec.getWorkflow(), id, spec.getInput(),
                spec.getConcurrencyPolicy().name(), WorkerSchedules.retry(spec.getRetry()), "Manual"));
        if ("skipped".equals(answer.path("state").asText())) {
            events.normal(workflow, "RunSkipped", "Manual run skipped: " + answer.path("reason").asText(
                    "another run has not finished") + " (concurrencyPolicy " + spec.getConcurrencyPolicy() + ")");
            return;
        }
        WorkflowRun run = new WorkflowRun();
        run.setId(answer.path("id").asText(id));
        run.setTrigger("Manual");
        run.setStartedAt(timestamp(now));
        // short workflows finish within the run call: read their steps now, not on a later poll
        WorkflowRuns.update(run, endpoint.status(target, run.getId()), timestamp(now));
        status.getRuns().add(0, run);
        events.normal(workflow, "RunStarted", "Manual run " + run.getId() + " of workflow " + spec.getWorkflow());
        announce(workflow, new WorkflowRun(), run);
    }

    /**
     * Lists the worker's runs only when a firing is owed a look ({@link ScheduledRunLookout}), and records how far
     * the looking reached; returns how long until the next look.
     */
    private Optional<Duration> lookForScheduledRuns(PyModeWorkflow workflow, PyModeWorkflowStatus status,
                                                    WorkflowEndpoint.Target target, String cron,
                                                    CronSchedule schedule, Instant now) {
        if (status.getScheduleCheckedThrough() != null && !cron.equals(status.getCheckedSchedule())) {
            // The trigger in force is new (an edited schedule, a resume after suspend, a trigger deployed again):
            // firings before now started no run of it, so none is owed. A run the old trigger started just before
            // is still recorded by the next listing, which compares with lastScheduleTime.
            status.setScheduleCheckedThrough(timestamp(now));
        }
        ScheduledRunLookout lookout = new ScheduledRunLookout(schedule, now);
        if (status.getScheduleCheckedThrough() == null) {
            // First sight (a new workflow, an upgrade, a restored resource): only a firing within the grace can be
            // owed a look now. Runs of earlier firings (history after an upgrade or a restore) are recorded by the
            // first listing after the next firing, as lastScheduleTime is unset; a fleet of new workflows thus asks
            // its workers nothing until their schedules fire.
            status.setScheduleCheckedThrough(timestamp(lookout.firstSight()));
        }
        status.setCheckedSchedule(cron);
        Instant checkedThrough = Instant.parse(status.getScheduleCheckedThrough());
        if (lookout.lookNow(checkedThrough)) {
            collectScheduledRuns(workflow, status, target, now);
            checkedThrough = lookout.checkedAfterListing(checkedThrough, instant(status.getLastScheduleTime()));
            status.setScheduleCheckedThrough(timestamp(checkedThrough));
        }
        return lookout.untilNextLook(checkedThrough);
    }

    private static Optional<Instant> instant(String timestamp) {
        return Optional.ofNullable(timestamp).map(Instant::parse);
    }

    /** Records the runs the cron trigger started on the worker (ids {@code <resource>-<epoch seconds>}). */
    private void collectScheduledRuns(PyModeWorkflow workflow, PyModeWorkflowStatus status,
                                      WorkflowEndpoint.Target target, Instant now) {
        String prefix = workflow.getMetadata().getName() + "-";
        Set<String> known = status.getRuns().stream().map(WorkflowRun::getId).collect(Collectors.toSet());
        List<WorkflowRun> found = new ArrayList<>();
        for (JsonNode report : endpoint.runs(target, workflow.getSpec().getWorkflow(), LISTED_RUNS)) {
            String id = report.path("id").asText();
            Optional<Instant> firedAt = WorkflowRuns.scheduledAt(id, prefix);
            if (!"Schedule".equals(report.path("trigger").asText()) || firedAt.isEmpty() || known.contains(id)) {
                continue;
            }
            String last = status.getLastScheduleTime();
            if (last != null && !firedAt.get().isAfter(Instant.parse(last))) {
                continue; // an old run that the history limit dropped from status
            }
            WorkflowRun run = new WorkflowRun();
            run.setId(id);
            run.setTrigger("Schedule");
            run.setStartedAt(timestamp(firedAt.get()));
            WorkflowRuns.update(run, report, timestamp(now));
            found.add(run);
        }
        found.sort(Comparator.comparing(WorkflowRun::getStartedAt).reversed());
        for (WorkflowRun run : found) {
            events.normal(workflow, "RunStarted", "Schedule run " + run.getId() + " of workflow "
                    + workflow.getSpec().getWorkflow() + " (started by the cron trigger)");
            announce(workflow, new WorkflowRun(), run);
        }
        if (!found.isEmpty()) {
            status.setLastScheduleTime(found.get(0).getStartedAt());
            List<WorkflowRun> runs = new ArrayList<>(found);
            runs.addAll(status.getRuns());
            runs.sort(Comparator.comparing(WorkflowRun::getStartedAt, Comparator.nullsLast(Comparator.naturalOrder()))
                    .reversed());
            status.setRuns(runs);
        }
    }

    private void announce(PyModeWorkflow workflow, WorkflowRun before, WorkflowRun after) {
        if (java.util.Objects.equals(before.getState(), after.getState())) {
            return;
        }
        if (WorkflowRuns.SUCCEEDED.equals(after.getState())) {
            events.normal(workflow, "RunSucceeded", "run " + after.getId() + " succeeded");
        } else if (WorkflowRuns.FAILED.equals(after.getState())) {
            events.warning(workflow, "RunFailed", "run " + after.getId() + " failed: " + after.getError());
        } else if (WorkflowRuns.CANCELLED.equals(after.getState())) {
            events.normal(workflow, "RunCancelled", "run " + after.getId() + " cancelled: " + after.getError());
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

    /** A change to a worker (Ready, a deployed cron trigger) re-reconciles the workflows that point at it. */
    @Override
    public List<EventSource<?, PyModeWorkflow>> prepareEventSources(EventSourceContext<PyModeWorkflow> context) {
        context.getPrimaryCache().addIndexer(WORKER_INDEX, workflow -> workflow.getSpec() == null
                || workflow.getSpec().getWorkerRef() == null ? List.of()
                : List.of(workflow.getMetadata().getNamespace() + "/" + workflow.getSpec().getWorkerRef().getName()));
        var workers = InformerEventSourceConfiguration.from(PyModeWorker.class, PyModeWorkflow.class)
                .withNamespacesInheritedFromController()
                .withSecondaryToPrimaryMapper((PyModeWorker worker) -> context.getPrimaryCache()
                        .byIndex(WORKER_INDEX, worker.getMetadata().getNamespace() + "/" + worker.getMetadata().getName())
                        .stream().map(ResourceID::fromResource).collect(Collectors.toSet()))
                .build();
        return List.of(new InformerEventSource<>(workers, context));
    }

    @Override
    public ErrorStatusUpdateControl<PyModeWorkflow> updateErrorStatus(PyModeWorkflow workflow,
                                                                      Context<PyModeWorkflow> context, Exception e) {
        return StatusUpdates.error(aggregator, workflow,
                workflow.getStatus() != null ? workflow.getStatus() : new PyModeWorkflowStatus(), e);
    }
}
