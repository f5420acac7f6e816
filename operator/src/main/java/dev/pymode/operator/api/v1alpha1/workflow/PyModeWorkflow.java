package dev.pymode.operator.api.v1alpha1.workflow;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** A durable multi-step workflow, defined with pymode.workflows in a worker's code, run on demand or on a schedule. */
@Group("pymode.dev")
@Version("v1alpha1")
@ShortNames("pmwf")
@AdditionalPrinterColumn(name = "Worker", type = AdditionalPrinterColumn.Type.STRING, jsonPath = ".spec.workerRef.name")
@AdditionalPrinterColumn(name = "Schedule", type = AdditionalPrinterColumn.Type.STRING, jsonPath = ".spec.schedule")
@AdditionalPrinterColumn(name = "Ready", type = AdditionalPrinterColumn.Type.STRING,
        jsonPath = ".status.conditions[?(@.type==\"Ready\")].status")
@AdditionalPrinterColumn(name = "Last Run", type = AdditionalPrinterColumn.Type.STRING,
        jsonPath = ".status.runs[0].state")
@AdditionalPrinterColumn(name = "Age", type = AdditionalPrinterColumn.Type.DATE,
        jsonPath = ".metadata.creationTimestamp")
public class PyModeWorkflow extends CustomResource<PyModeWorkflowSpec, PyModeWorkflowStatus> implements Namespaced {

    /** Annotation whose new value asks for a manual run (like Flux's reconcile.fluxcd.io/requestedAt). */
    public static final String RUN_REQUESTED_AT = "pymode.dev/run-requested-at";
}
