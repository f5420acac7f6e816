package dev.pymode.operator.api.v1alpha1.worker;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.ValidationRule;

/** The project's source: exactly one kind is set. */
@ValidationRule(value = "[has(self.inline), has(self.configMapRef), has(self.git), has(self.oci)].filter(x, x).size() == 1",
        message = "source must set exactly one of inline, configMapRef, git or oci")
public class WorkerSource {

    @JsonPropertyDescription("Project files written in the resource itself (small projects and examples).")
    private InlineSource inline;

    @JsonPropertyDescription("A ConfigMap in the same namespace whose keys are file paths (use `--` for `/` "
            + "in keys, since keys cannot contain slashes; `__` would clash with `__init__.py`) and whose values are file contents.")
    private ConfigMapSource configMapRef;

    @JsonPropertyDescription("A git repository: url, ref (branch, tag or commit) and the project's path inside it, "
            + "re-checked every interval.")
    private GitSource git;

    @JsonPropertyDescription("An OCI artifact holding the project (one layer per file, or a tar+gzip layer), "
            + "re-checked every interval.")
    private OciSource oci;

    public InlineSource getInline() { return inline; }
    public void setInline(InlineSource inline) { this.inline = inline; }
    public ConfigMapSource getConfigMapRef() { return configMapRef; }
    public void setConfigMapRef(ConfigMapSource configMapRef) { this.configMapRef = configMapRef; }
    public GitSource getGit() { return git; }
    public void setGit(GitSource git) { this.git = git; }
    public OciSource getOci() { return oci; }
    public void setOci(OciSource oci) { this.oci = oci; }
}
