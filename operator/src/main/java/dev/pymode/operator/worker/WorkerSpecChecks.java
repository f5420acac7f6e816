package dev.pymode.operator.worker;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import dev.pymode.operator.api.v1alpha1.worker.PyModeWorker;
import dev.pymode.operator.status.ConditionTypes;
import dev.pymode.operator.status.StageResult;
import dev.pymode.operator.workflow.CronSchedule;

/**
 * The validate step of a worker's reconcile, recorded as the {@code SpecValid} condition: the problems only a
 * change to the spec can fix and that the CRD's rules cannot see, found before any work is done. A problem stalls
 * the worker with a reason of its own; a valid spec records {@code SpecValid=True}, so a fixed spec clears the
 * earlier reason. Problems of what the spec points at (a source, a Secret, an extension) belong to the stages
 * that read them.
 */
final class WorkerSpecChecks {

    static final String VALID = "Valid";
    static final String SCRIPT_NAME_CONFLICT = "ScriptNameConflict";
    static final String INVALID_SCHEDULE = "InvalidSchedule";
    /** A conflict is looked at again: the holder may be deleted or renamed without this worker changing. */
    static final Duration CLAIM_RECHECK = Duration.ofMinutes(1);

    private WorkerSpecChecks() {
    }

    static StageResult check(PyModeWorker worker, WorkerObservation observed) {
        if (observed.scriptHolder().isPresent()) {
            PyModeWorker holder = observed.scriptHolder().get();
            return new StageResult(ConditionTypes.SPEC_VALID, StageResult.Outcome.FAILED_TERMINAL,
                    SCRIPT_NAME_CONFLICT, "Cloudflare script " + worker.scriptName() + " belongs to PyModeWorker "
                    + holder.getMetadata().getNamespace() + "/" + holder.getMetadata().getName()
                    + " (created earlier); set spec.cloudflare.scriptName to a name of this worker's own",
                    Optional.of(CLAIM_RECHECK));
        }
        // The CRD's rules refuse what Cloudflare would refuse; a CRD older than the operator may not.
        List<String> crons = worker.getSpec().getCrons() == null ? List.of() : worker.getSpec().getCrons();
        for (String cron : crons) {
            Optional<String> problem = CronSchedule.problem(cron);
            if (problem.isPresent()) {
                return StageResult.terminalFailure(ConditionTypes.SPEC_VALID, INVALID_SCHEDULE,
                        "spec.crons entry '" + cron + "': " + problem.get());
            }
        }
        return StageResult.succeeded(ConditionTypes.SPEC_VALID, VALID, "the spec is valid");
    }
}
