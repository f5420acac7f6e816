package dev.pymode.operator.api.v1alpha1.worker;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.pymode.operator.api.v1alpha1.common.LocalObjectReference;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** Project files from an OCI artifact. */
public class OciSource {

    @JsonPropertyDescription("Artifact reference, `registry/repository:tag` or `registry/repository@sha256:...`. "
            + "Two layouts are read: one layer per file, each titled with its relative path "
            + "(`oras push registry/repo:tag src/entry.py pyproject.toml`), or the project as a tar+gzip layer "
            + "(`flux push artifact`, media type application/vnd.cncf.flux.content.v1.tar+gzip, or "
            + "application/vnd.oci.image.layer.v1.tar+gzip). Links in archives must stay inside the project. "
            + "Loopback registries are spoken to over plain http.")
    @Required
    @Size(min = 1, max = 1024)
    @ValidationRule(value = "self.matches('^[a-zA-Z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+(:[A-Za-z0-9_.-]+|@sha256:[a-f0-9]{64})$')",
            message = "oci ref must look like registry/repository:tag or registry/repository@sha256:<64 hex>")
    private String ref;

    @JsonPropertyDescription("Pull credentials: a Secret of type kubernetes.io/dockerconfigjson in the worker's namespace "
            + "(`kubectl create secret docker-registry`); the entry for the ref's registry host is used.")
    private LocalObjectReference pullSecretRef;

    @JsonPropertyDescription("How often a tag is checked for a new digest (a Go-style duration: `30s`, `5m`, `1h`).")
    @Default("5m")
    @Pattern("^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$")
    @Size(max = 32)
    private String interval = "5m";

    public String getRef() { return ref; }
    public void setRef(String ref) { this.ref = ref; }
    public LocalObjectReference getPullSecretRef() { return pullSecretRef; }
    public void setPullSecretRef(LocalObjectReference pullSecretRef) { this.pullSecretRef = pullSecretRef; }
    public String getInterval() { return interval; }
    public void setInterval(String interval) { this.interval = interval; }
}
