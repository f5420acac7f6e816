package dev.pymode.operator.api.v1alpha1.worker;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** A Python request handler built into a Cloudflare Worker bundle and deployed with its bindings. */
@Group("pymode.dev")
@Version("v1alpha1")
@ShortNames("pmw")
@AdditionalPrinterColumn(name = "Ready", type = AdditionalPrinterColumn.Type.STRING,
        jsonPath = ".status.conditions[?(@.type==\"Ready\")].status")
@AdditionalPrinterColumn(name = "Reason", type = AdditionalPrinterColumn.Type.STRING,
        jsonPath = ".status.conditions[?(@.type==\"Ready\")].reason")
@AdditionalPrinterColumn(name = "Revision", type = AdditionalPrinterColumn.Type.STRING,
        jsonPath = ".status.sourceRevision", priority = 1)
@AdditionalPrinterColumn(name = "Artifact", type = AdditionalPrinterColumn.Type.STRING,
        jsonPath = ".status.artifact.digest", priority = 1)
@AdditionalPrinterColumn(name = "URL", type = AdditionalPrinterColumn.Type.STRING,
        jsonPath = ".status.deployment.url")
@AdditionalPrinterColumn(name = "Age", type = AdditionalPrinterColumn.Type.DATE,
        jsonPath = ".metadata.creationTimestamp")
// Without spec.cloudflare.scriptName the script is named after the resource, so that name must suit Cloudflare.
@ValidationRule(value = "(has(self.spec.cloudflare) && has(self.spec.cloudflare.scriptName))"
        + " || self.metadata.name.matches('^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$')",
        message = "metadata.name is used as the Cloudflare script name when spec.cloudflare.scriptName is not set, "
                + "so it must be 1-63 lowercase letters, digits or '-' without dots; set spec.cloudflare.scriptName instead")
public class PyModeWorker extends CustomResource<PyModeWorkerSpec, PyModeWorkerStatus> implements Namespaced {

    /** The Cloudflare script name this worker deploys as. */
    public String scriptName() {
        CloudflareTarget cloudflare = getSpec() == null ? null : getSpec().getCloudflare();
        if (cloudflare != null && cloudflare.getScriptName() != null) {
            return cloudflare.getScriptName();
        }
        return getMetadata().getName();
    }
}
