package dev.pymode.operator.api.v1alpha1.worker;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** One project file. */
public class InlineFile {

    @JsonPropertyDescription("Path relative to the project root, e.g. `src/entry.py`.")
    @Required
    @Size(min = 1, max = 256)
    @ValidationRule(value = "!self.startsWith('/') && !self.matches('(^|/)\\\\.\\\\.(/|$)') && !self.contains('\\\\')",
            message = "inline file paths must be relative, use '/' as separator and not contain '..'")
    private String path;

    @JsonPropertyDescription("File content (UTF-8 text).")
    @Required
    @Size(max = InlineSource.MAX_TOTAL_CHARS)
    private String content;

    public InlineFile() {
    }

    public InlineFile(String path, String content) {
        this.path = path;
        this.content = content;
    }

    public String getPath() { return path; }
    public void setPath(String path) { this.path = path; }
    public String getContent() { return content; }
    public void setContent(String content) { this.content = content; }
}
