package dev.pymode.operator.worker;

import java.util.Collection;
import java.util.List;
import java.util.Optional;

import dev.pymode.operator.api.v1alpha1.worker.PyModeWorker;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorkerStatus;
import dev.pymode.operator.api.v1alpha1.workflow.PyModeWorkflow;
import dev.pymode.operator.workflow.ScheduleEntry;
import dev.pymode.operator.workflow.WorkerSchedules;

/**
 * The observe step of a worker's reconcile: what the cluster shows around the worker, read from the operator's
 * informer caches (no call to the API server or Cloudflare). The account's side (scripts, resources, drift) is
 * observed by the deploy stage from the shared account listings, since it needs the built artifact to compare.
 *
 * @param status       the status as last recorded (a new one for a worker never reconciled)
 * @param scriptHolder an older worker that already holds the Cloudflare script this one names, if any
 * @param schedules    the cron triggers the worker carries: its own crons, then its scheduled PyModeWorkflows
 */
public record WorkerObservation(PyModeWorkerStatus status, Optional<PyModeWorker> scriptHolder,
                                List<ScheduleEntry> schedules) {

    static WorkerObservation of(PyModeWorker worker, Collection<PyModeWorker> workers,
                                Collection<PyModeWorkflow> workflows) {
        PyModeWorkerStatus status = worker.getStatus() != null ? worker.getStatus() : new PyModeWorkerStatus();
        return new WorkerObservation(status, ScriptClaims.heldBy(worker, workers),
                WorkerSchedules.of(worker, workflows));
    }
}
