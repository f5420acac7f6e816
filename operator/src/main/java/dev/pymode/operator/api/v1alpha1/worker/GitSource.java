package dev.pymode.operator.api.v1alpha1.worker;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import dev.pymode.operator.api.v1alpha1.common.SecretKeyReference;

/** Project files from a git repository. */
public class GitSource {

    @JsonPropertyDescription("Repository URL (https:// or ssh://).")
    @Required
    @Size(min = 1, max = 2048)
    @ValidationRule(value = "self.startsWith('https://') || self.startsWith('ssh://') || self.startsWith('http://')",
            message = "git url must start with https://, http:// or ssh://")
    private String url;

    @JsonPropertyDescription("Branch, tag or full commit SHA to build.")
    @Default("main")
    @Size(max = 256)
    private String ref = "main";

    @JsonPropertyDescription("Directory of the project inside the repository.")
    @Default(".")
    @Size(max = 512)
    @ValidationRule(value = "!self.startsWith('/') && !self.matches('(^|/)\\\\.\\\\.(/|$)')",
            message = "git path must be relative and must not contain '..'")
    private String path = ".";

    @JsonPropertyDescription("Credentials for a private repository: a token (https) or private key (ssh).")
    private SecretKeyReference credentialsSecretRef;

    public String getUrl() { return url; }
    public void setUrl(String url) { this.url = url; }
    public String getRef() { return ref; }
    public void setRef(String ref) { this.ref = ref; }
    public String getPath() { return path; }
    public void setPath(String path) { this.path = path; }
    public SecretKeyReference getCredentialsSecretRef() { return credentialsSecretRef; }
    public void setCredentialsSecretRef(SecretKeyReference credentialsSecretRef) { this.credentialsSecretRef = credentialsSecretRef; }
}
