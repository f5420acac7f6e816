package dev.pymode.operator.worker;

import java.util.ArrayList;
import java.util.List;

import dev.pymode.operator.api.v1alpha1.worker.PyModeWorker;
import dev.pymode.operator.source.EntryLocator;
import dev.pymode.operator.source.SourceResolver;
import dev.pymode.operator.status.ConditionTypes;
import dev.pymode.operator.status.StageResult;

/**
 * The explicit, ordered stages that take a worker from spec to a live deployment. Each stage runs only when
 * the ones before it succeeded; its result becomes its condition.
 */
public class WorkerPipeline {

    private final SourceResolver sourceResolver;

    public WorkerPipeline(SourceResolver sourceResolver) {
        this.sourceResolver = sourceResolver;
    }

    /** What a run of the pipeline found out. */
    public record Outcome(List<StageResult> stages, String sourceDigest) {
    }

    public Outcome run(PyModeWorker worker) {
        List<StageResult> stages = new ArrayList<>();
        SourceResolver.Resolution resolution = sourceResolver.resolve(worker);
        if (resolution.source() == null) {
            stages.add(resolution.stage());
            return new Outcome(stages, null);
        }
        EntryLocator.Located entry = EntryLocator.locate(worker.getSpec().getEntry(), resolution.source());
        if (entry.entry() == null) {
            stages.add(entry.stage());
            return new Outcome(stages, resolution.source().digest());
        }
        stages.add(StageResult.succeeded(ConditionTypes.SOURCE_READY, resolution.stage().reason(),
                resolution.stage().message() + "; entry " + entry.entry()));
        // Building (builder Jobs, OCI artifacts) is the next stage; until it exists the worker cannot progress,
        // and the status says so instead of pretending.
        stages.add(StageResult.terminalFailure(ConditionTypes.BUILT, "BuilderUnavailable",
                "this operator version has no build stage, so the worker cannot be built or deployed"));
        return new Outcome(stages, resolution.source().digest());
    }
}
