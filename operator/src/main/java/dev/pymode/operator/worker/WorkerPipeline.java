package dev.pymode.operator.worker;

import java.util.ArrayList;
import java.util.List;

import dev.pymode.operator.api.v1alpha1.worker.PyModeWorker;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorkerStatus;
import dev.pymode.operator.builds.AttachedRecipes;
import dev.pymode.operator.builds.WorkerBuildStage;
import dev.pymode.operator.deploy.WorkerDeployStage;
import dev.pymode.operator.events.EventRecorder;
import dev.pymode.operator.source.EntryLocator;
import dev.pymode.operator.source.resolve.SourceResolver;
import dev.pymode.operator.status.ConditionTypes;
import dev.pymode.operator.status.StageResult;
import dev.pymode.operator.workflow.ScheduleEntry;

/**
 * The explicit, ordered steps that take a worker from spec to a live deployment, after the reconciler has observed
 * what surrounds it ({@link WorkerObservation}): validate ({@link WorkerSpecChecks}, {@code SpecValid}), then
 * reconcile through the stages {@code SourceReady}, {@code Built} and {@code Deployed} (which observes the account's
 * side and puts drift back). Each step runs only when the ones before it succeeded; its result becomes its
 * condition. Stages record what they produce (source digest, artifact, build progress) on the status they are given.
 */
public class WorkerPipeline {

    private final SourceResolver sourceResolver;
    private final WorkerBuildStage buildStage;
    private final WorkerDeployStage deployStage;
    private final EventRecorder events;

    public WorkerPipeline(SourceResolver sourceResolver, WorkerBuildStage buildStage, WorkerDeployStage deployStage,
                          EventRecorder events) {
        this.sourceResolver = sourceResolver;
        this.buildStage = buildStage;
        this.deployStage = deployStage;
        this.events = events;
    }

    /** @param observed the worker's status, a claim on its script name, and what its cron triggers start */
    public List<StageResult> run(PyModeWorker worker, WorkerObservation observed) {
        List<StageResult> stages = new ArrayList<>();
        StageResult valid = WorkerSpecChecks.check(worker, observed);
        stages.add(valid);
        if (!valid.succeeded()) {
            return stages;
        }
        stages.addAll(reconcile(worker, observed.status(), observed.schedules()));
        return stages;
    }

    /** The stages, in order: source, build, deploy; the first that has not succeeded ends the list. */
    private List<StageResult> reconcile(PyModeWorker worker, PyModeWorkerStatus status, List<ScheduleEntry> schedules) {
        List<StageResult> stages = new ArrayList<>();
        SourceResolver.Resolution resolution = sourceResolver.resolve(worker);
        if (resolution.source() == null) {
            stages.add(resolution.stage());
            return stages;
        }
        String previous = status.getSourceRevision();
        String revision = resolution.source().revision();
        if (previous != null && !previous.equals(revision) && !revision.startsWith("inline@")) {
            // a pushed commit or moved tag shows up in kubectl describe, not only as a new build
            events.normal(worker, "SourceUpdated", previous + " -> " + revision);
        }
        status.setSourceDigest(resolution.source().digest());
        status.setSourceRevision(revision);
        // A source that is re-checked (git, OCI) asks for it even when a later stage stops the pipeline.
        var recheck = resolution.stage().retryAfter();
        EntryLocator.Located entry = EntryLocator.locate(worker.getSpec().getEntry(), resolution.source());
        if (entry.entry() == null) {
            StageResult missing = entry.stage();
            stages.add(new StageResult(missing.conditionType(), missing.outcome(), missing.reason(), missing.message(),
                    recheck));
            return stages;
        }
        stages.add(new StageResult(ConditionTypes.SOURCE_READY, StageResult.Outcome.SUCCEEDED,
                resolution.stage().reason(), resolution.stage().message() + "; entry " + entry.entry(), recheck));

        StageResult built = buildStage.run(worker, resolution.source(), entry.entry(), status);
        stages.add(built);
        if (!built.succeeded()) {
            return stages;
        }
        StageResult deployed = deployStage.run(worker, status, schedules);
        if (deployed.succeeded() && !status.getAttachedRecipes().isEmpty()) {
            // Ready's message is the last stage's: it names the recipes the operator attached, as Built does
            deployed = new StageResult(deployed.conditionType(), deployed.outcome(), deployed.reason(),
                    AttachedRecipes.withAttached(deployed.message(), status.getAttachedRecipes()), deployed.retryAfter());
        }
        stages.add(deployed);
        return stages;
    }
}
