package dev.pymode.operator.workflow;

import java.time.Duration;
import java.util.List;

import dev.pymode.operator.api.v1alpha1.worker.PyModeWorker;
import dev.pymode.operator.api.v1alpha1.workflow.PyModeWorkflow;
import dev.pymode.operator.api.v1alpha1.workflow.PyModeWorkflowStatus;
import dev.pymode.operator.status.ConditionTypes;
import dev.pymode.operator.status.Conditions;
import dev.pymode.operator.status.StatusUpdates;
import dev.pymode.operator.status.StageResult;
import dev.pymode.operator.status.StatusAggregator;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;

/** Reconciles PyModeWorkflow: a workflow is usable once the worker that defines it is Ready. */
@ControllerConfiguration(name = PyModeWorkflowReconciler.NAME)
public class PyModeWorkflowReconciler implements Reconciler<PyModeWorkflow> {

    public static final String NAME = "pymodeworkflow";
    private static final Duration WORKER_RECHECK = Duration.ofSeconds(30);

    private final StatusAggregator aggregator;

    public PyModeWorkflowReconciler(StatusAggregator aggregator) {
        this.aggregator = aggregator;
    }

    @Override
    public UpdateControl<PyModeWorkflow> reconcile(PyModeWorkflow workflow, Context<PyModeWorkflow> context) {
        String namespace = workflow.getMetadata().getNamespace();
        String workerName = workflow.getSpec().getWorkerRef().getName();
        PyModeWorker worker = context.getClient().resources(PyModeWorker.class)
                .inNamespace(namespace).withName(workerName).get();
        StageResult workerStage = workerStage(namespace, workerName, worker);

        PyModeWorkflowStatus status = workflow.getStatus() != null ? workflow.getStatus() : new PyModeWorkflowStatus();
        return StatusUpdates.patch(aggregator, workflow, status, List.of(workerStage));
    }

    static StageResult workerStage(String namespace, String name, PyModeWorker worker) {
        if (worker == null) {
            return StageResult.progressing(ConditionTypes.WORKER_READY, "WorkerNotFound",
                    "waiting for PyModeWorker " + namespace + "/" + name, WORKER_RECHECK);
        }
        if (worker.getStatus() == null || !Conditions.isTrue(worker.getStatus().getConditions(), ConditionTypes.READY)) {
            return StageResult.progressing(ConditionTypes.WORKER_READY, "WorkerNotReady",
                    "waiting for PyModeWorker " + namespace + "/" + name + " to become Ready", WORKER_RECHECK);
        }
        return StageResult.succeeded(ConditionTypes.WORKER_READY, "WorkerReady",
                "PyModeWorker " + namespace + "/" + name + " is Ready");
    }

    @Override
    public ErrorStatusUpdateControl<PyModeWorkflow> updateErrorStatus(PyModeWorkflow workflow,
                                                                      Context<PyModeWorkflow> context, Exception e) {
        return StatusUpdates.error(aggregator, workflow,
                workflow.getStatus() != null ? workflow.getStatus() : new PyModeWorkflowStatus(), e);
    }
}
