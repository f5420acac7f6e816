package dev.pymode.operator.status;

import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

import dev.pymode.operator.api.v1alpha1.common.PyModeStatus;
import dev.pymode.operator.status.StageResult.Outcome;
import io.fabric8.kubernetes.api.model.Condition;

/**
 * The one place that turns stage results into the status' conditions: each stage's own condition, then the
 * kstatus summary (Ready / Reconciling / Stalled) that kubectl wait, Argo CD and Flux read.
 *
 * <p>Stages run in order and the pipeline stops at the first that has not succeeded, so the first
 * non-succeeded result decides the summary; stages after it are left as they were last observed.
 */
public final class StatusAggregator {

    /** A stable order keeps status patches minimal and kubectl output predictable. */
    private static final Comparator<Condition> BY_TYPE = Comparator.comparing(Condition::getType);

    private final Conditions conditions;

    public StatusAggregator(Clock clock) {
        this.conditions = new Conditions(clock);
    }

    /**
     * Records the results on the status.
     *
     * @return when to reconcile again, if a stage asked for it
     */
    public Optional<Duration> apply(PyModeStatus status, long generation, List<StageResult> results) {
        var list = status.getConditions();
        for (StageResult result : results) {
            conditions.set(list, result.conditionType(), result.succeeded(), result.reason(), result.message(),
                    generation);
        }
        status.setObservedGeneration(generation);

        Optional<StageResult> blocking = results.stream().filter(r -> !r.succeeded()).findFirst();
        if (blocking.isEmpty()) {
            conditions.set(list, ConditionTypes.READY, true, "Succeeded", summary(results), generation);
            Conditions.remove(list, ConditionTypes.RECONCILING);
            Conditions.remove(list, ConditionTypes.STALLED);
            list.sort(BY_TYPE);
            // a succeeded stage may still want a later look (the next cron firing, a run to follow)
            return results.stream().flatMap(r -> r.retryAfter().stream()).min(Duration::compareTo);
        }
        StageResult stage = blocking.get();
        String message = stage.conditionType() + ": " + stage.message();
        conditions.set(list, ConditionTypes.READY, false, stage.reason(), message, generation);
        if (stage.outcome() == Outcome.FAILED_TERMINAL) {
            conditions.set(list, ConditionTypes.STALLED, true, stage.reason(), message, generation);
            Conditions.remove(list, ConditionTypes.RECONCILING);
        } else {
            conditions.set(list, ConditionTypes.RECONCILING, true, stage.reason(), message, generation);
            Conditions.remove(list, ConditionTypes.STALLED);
        }
        list.sort(BY_TYPE);
        // the blocking stage's retry, unless an earlier stage wants a look sooner (a git source's next check)
        return results.stream().flatMap(r -> r.retryAfter().stream()).min(Duration::compareTo);
    }

    /**
     * Records that the resource is suspended: the generation is observed (so GitOps tools do not wait on it
     * forever), Ready says why nothing happens, and no work is reported as in progress or stuck.
     */
    public void suspended(PyModeStatus status, long generation) {
        var list = status.getConditions();
        conditions.set(list, ConditionTypes.READY, false, "Suspended",
                "reconciliation is suspended (spec.suspend); what is deployed keeps running", generation);
        Conditions.remove(list, ConditionTypes.RECONCILING);
        Conditions.remove(list, ConditionTypes.STALLED);
        list.sort(BY_TYPE);
        status.setObservedGeneration(generation);
    }

    private static String summary(List<StageResult> results) {
        return results.isEmpty() ? "nothing to do" : results.get(results.size() - 1).message();
    }
}
