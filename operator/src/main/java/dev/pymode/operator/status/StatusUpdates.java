package dev.pymode.operator.status;

import java.time.Duration;
import java.util.List;

import dev.pymode.operator.api.v1alpha1.common.PyModeStatus;
import io.fabric8.kubernetes.client.CustomResource;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;

/** How every reconciler ends: stage results aggregated onto the status, one status patch, maybe a requeue. */
public final class StatusUpdates {

    /** Unexpected errors are retried by JOSDK with backoff; the status shows them meanwhile. */
    private static final Duration ERROR_RETRY_HINT = Duration.ofSeconds(10);

    private StatusUpdates() {
    }

    public static <S extends PyModeStatus, R extends CustomResource<?, S>> UpdateControl<R> patch(
            StatusAggregator aggregator, R resource, S status, List<StageResult> stages) {
        var retry = aggregator.apply(status, resource.getMetadata().getGeneration(), stages);
        resource.setStatus(status);
        UpdateControl<R> control = UpdateControl.patchStatus(resource);
        retry.ifPresent(control::rescheduleAfter);
        return control;
    }

    public static <S extends PyModeStatus, R extends CustomResource<?, S>> ErrorStatusUpdateControl<R> error(
            StatusAggregator aggregator, R resource, S status, Exception error) {
        String message = error.getClass().getSimpleName() + ": " + error.getMessage();
        aggregator.apply(status, resource.getMetadata().getGeneration(), List.of(StageResult.transientFailure(
                ConditionTypes.READY, "ReconcileError", message, ERROR_RETRY_HINT)));
        resource.setStatus(status);
        return ErrorStatusUpdateControl.patchStatus(resource);
    }
}
