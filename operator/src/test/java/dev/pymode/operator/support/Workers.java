package dev.pymode.operator.support;

import dev.pymode.operator.api.v1alpha1.common.LocalObjectReference;
import dev.pymode.operator.api.v1alpha1.worker.InlineFile;
import dev.pymode.operator.api.v1alpha1.worker.InlineSource;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorker;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorkerSpec;
import dev.pymode.operator.api.v1alpha1.worker.WorkerSource;
import dev.pymode.operator.api.v1alpha1.workflow.PyModeWorkflow;
import dev.pymode.operator.api.v1alpha1.workflow.PyModeWorkflowSpec;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;

/** Worker resources for tests. */
public final class Workers {

    private Workers() {
    }

    /**
     * Makes the operator reconcile a worker once more without changing it, as the periodic resync does: creates a
     * PyModeWorkflow named {@code name} without a schedule that points at the worker (the worker watches its
     * workflows, and an unscheduled one changes nothing it deploys).
     */
    public static void poke(KubernetesClient client, String namespace, String worker, String name) {
        var workflow = new PyModeWorkflow();
        workflow.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
        var spec = new PyModeWorkflowSpec();
        spec.setWorkerRef(new LocalObjectReference(worker));
        spec.setWorkflow("none");
        workflow.setSpec(spec);
        client.resource(workflow).create();
    }

    /** A worker (not yet created) whose inline source is one file, src/entry.py; callers add to its spec. */
    public static PyModeWorker inline(String namespace, String name, String entryCode) {
        var inline = new InlineSource();
        inline.getFiles().add(new InlineFile("src/entry.py", entryCode));
        var source = new WorkerSource();
        source.setInline(inline);
        var spec = new PyModeWorkerSpec();
        spec.setSource(source);
        var worker = new PyModeWorker();
        worker.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
        worker.setSpec(spec);
        return worker;
    }
}
