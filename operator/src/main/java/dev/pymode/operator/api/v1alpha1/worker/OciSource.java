package dev.pymode.operator.api.v1alpha1.worker;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** Project files from an OCI artifact. */
public class OciSource {

    @JsonPropertyDescription("Artifact reference, `registry/repository:tag` or `registry/repository@sha256:...`.")
    @Required
    @Size(min = 1, max = 1024)
    @ValidationRule(value = "self.matches('^[a-zA-Z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+(:[A-Za-z0-9_.-]+|@sha256:[a-f0-9]{64})$')",
            message = "oci ref must look like registry/repository:tag or registry/repository@sha256:<64 hex>")
    private String ref;

    public String getRef() { return ref; }
    public void setRef(String ref) { this.ref = ref; }
}
