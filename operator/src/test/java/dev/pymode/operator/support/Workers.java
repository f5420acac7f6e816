package dev.pymode.operator.support;

import dev.pymode.operator.api.v1alpha1.worker.InlineFile;
import dev.pymode.operator.api.v1alpha1.worker.InlineSource;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorker;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorkerSpec;
import dev.pymode.operator.api.v1alpha1.worker.WorkerSource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;

/** Worker resources for tests. */
public final class Workers {

    private Workers() {
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
