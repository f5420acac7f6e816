package dev.pymode.operator.status;

import java.time.Duration;
import java.util.List;

import dev.pymode.operator.api.v1alpha1.common.PyModeStatus;

/** Records an unexpected reconcile failure; JOSDK retries it with backoff, so the resource is Reconciling. */
public final class ErrorStatus {

    private ErrorStatus() {
    }

    public static void record(StatusAggregator aggregator, PyModeStatus status, long generation, Exception error,
                              Duration retryHint) {
        String message = error.getClass().getSimpleName() + ": " + String.valueOf(error.getMessage());
        aggregator.apply(status, generation, List.of(StageResult.transientFailure(ConditionTypes.READY,
                "ReconcileError", message, retryHint)));
    }
}
