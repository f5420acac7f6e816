package dev.pymode.operator.api.v1alpha1.worker;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import dev.pymode.operator.api.v1alpha1.common.SecretKeyReference;

/** Project files from a git repository. */
public class GitSource {

    @JsonPropertyDescription("Repository URL: https://, http:// (loopback or trusted networks) or ssh://user@host[:port]/path. "
            + "Credentials go in credentialsSecretRef, never in the URL.")
    @Required
    @Size(min = 1, max = 2048)
    @ValidationRule(value = "self.startsWith('https://') || self.startsWith('ssh://') || self.startsWith('http://')",
            message = "git url must start with https://, http:// or ssh://")
    @ValidationRule(value = "!self.matches('^[a-z]+://[^/@]*:[^/@]*@')",
            message = "git url must not contain a password: put credentials in credentialsSecretRef")
    // git and ssh command lines read a host starting with '-' as an option (CVE-2017-1000117); nothing needs one
    @ValidationRule(value = "!self.matches('^[a-z]+://([^/@]*@)?-') && !self.matches('[ \\t\\r\\n]')",
            message = "git url must not contain whitespace, and its host must not start with '-'")
    private String url;

    @JsonPropertyDescription("What to build: a branch (`main`), a tag (`v1.2.0`), a full ref (`refs/heads/main`) or a "
            + "full 40-character commit SHA. A name that is both a tag and a branch means the tag, as in git. "
            + "Branches and tags are re-checked every `interval`; a new commit leads to a new build.")
    @Default("main")
    @Size(min = 1, max = 256)
    @ValidationRule(value = "!self.matches('[\\\\s~^:?*\\\\[\\\\\\\\]|\\\\.\\\\.|@\\\\{')",
            message = "git ref must be a branch, tag, refs/... name or commit SHA (no spaces, '..', '@{' or any of ~^:?*[\\)")
    @ValidationRule(value = "!self.startsWith('-')", message = "git ref must not start with '-' (git refuses such names)")
    private String ref = "main";

    @JsonPropertyDescription("Directory of the project inside the repository; only the files under it are built "
            + "(paths in the project are relative to it). Submodules are not fetched.")
    @Default(".")
    @Size(max = 512)
    @ValidationRule(value = "!self.startsWith('/') && !self.matches('(^|/)\\\\.\\\\.(/|$)')",
            message = "git path must be relative and must not contain '..'")
    private String path = ".";

    @JsonPropertyDescription("Credentials for a private repository, a key of a Secret in the worker's namespace. "
            + "https/http: the value is a token (sent as the password of user `x-access-token`, which GitHub, GitLab, "
            + "Gitea and Bitbucket accept) or `username:password`. ssh: the value is an unencrypted private key "
            + "(OpenSSH or PEM format) and the same Secret must hold the server's host keys under `known_hosts` "
            + "(`ssh-keyscan -p <port> <host>` output); unknown or changed host keys are refused.")
    private SecretKeyReference credentialsSecretRef;

    @JsonPropertyDescription("How often the ref is checked for new commits (a Go-style duration: `30s`, `5m`, `1h`).")
    @Default("5m")
    @Pattern("^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$")
    @Size(max = 32)
    private String interval = "5m";

    public String getUrl() { return url; }
    public void setUrl(String url) { this.url = url; }
    public String getRef() { return ref; }
    public void setRef(String ref) { this.ref = ref; }
    public String getPath() { return path; }
    public void setPath(String path) { this.path = path; }
    public SecretKeyReference getCredentialsSecretRef() { return credentialsSecretRef; }
    public void setCredentialsSecretRef(SecretKeyReference credentialsSecretRef) { this.credentialsSecretRef = credentialsSecretRef; }
    public String getInterval() { return interval; }
    public void setInterval(String interval) { this.interval = interval; }
}
