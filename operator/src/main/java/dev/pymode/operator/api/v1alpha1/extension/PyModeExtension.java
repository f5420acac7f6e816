package dev.pymode.operator.api.v1alpha1.extension;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** A C extension compiled once into a wasm side module and shared by every worker that lists it. */
@Group("pymode.dev")
@Version("v1alpha1")
@ShortNames("pmx")
@AdditionalPrinterColumn(name = "Ready", type = AdditionalPrinterColumn.Type.STRING,
        jsonPath = ".status.conditions[?(@.type==\"Ready\")].status")
@AdditionalPrinterColumn(name = "Reason", type = AdditionalPrinterColumn.Type.STRING,
        jsonPath = ".status.conditions[?(@.type==\"Ready\")].reason")
@AdditionalPrinterColumn(name = "Artifact", type = AdditionalPrinterColumn.Type.STRING,
        jsonPath = ".status.artifact.digest", priority = 1)
@AdditionalPrinterColumn(name = "Age", type = AdditionalPrinterColumn.Type.DATE,
        jsonPath = ".metadata.creationTimestamp")
public class PyModeExtension extends CustomResource<PyModeExtensionSpec, PyModeExtensionStatus> implements Namespaced {
}
