package dev.pymode.operator.api.v1alpha1.worker;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** Project files carried in the resource. */
@ValidationRule(value = "self.files.map(f, size(f.content)).sum() <= " + InlineSource.MAX_TOTAL_CHARS,
        message = "inline files may hold at most " + InlineSource.MAX_TOTAL_CHARS + " characters in total "
                + "(512 KiB); use a ConfigMap, git or OCI source for larger projects")
@ValidationRule(value = "self.files.all(f, self.files.filter(g, g.path == f.path).size() == 1)",
        message = "inline file paths must be unique")
public class InlineSource {

    /** etcd stores objects up to 1.5 MiB; half a MiB of source leaves room for the rest of the resource. */
    public static final int MAX_TOTAL_CHARS = 524288;

    @JsonPropertyDescription("The files: each a path relative to the project root and its UTF-8 content.")
    @Required
    @Size(min = 1, max = 128)
    private List<InlineFile> files = new ArrayList<>();

    public List<InlineFile> getFiles() { return files; }
    public void setFiles(List<InlineFile> files) { this.files = files; }
}
