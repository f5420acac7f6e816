package dev.pymode.operator.api.v1alpha1.extension;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** The source archive of an extension, pinned by checksum. */
@ValidationRule(value = "has(self.pypi) != has(self.url)", message = "recipe source needs exactly one of pypi or url")
public class RecipeSource {

    @JsonPropertyDescription("PyPI sdist file name, e.g. `markupsafe-3.0.2.tar.gz`.")
    @Size(max = 256)
    private String pypi;

    @JsonPropertyDescription("Direct https URL of the source archive.")
    @Size(max = 2048)
    @ValidationRule(value = "self.startsWith('https://')", message = "recipe source url must use https")
    private String url;

    @JsonPropertyDescription("sha256 of the archive (64 lowercase hex characters).")
    @Required
    @Size(min = 64, max = 64)
    @ValidationRule(value = "self.matches('^[0-9a-f]{64}$')", message = "sha256 must be 64 lowercase hex characters")
    private String sha256;

    public String getPypi() { return pypi; }
    public void setPypi(String pypi) { this.pypi = pypi; }
    public String getUrl() { return url; }
    public void setUrl(String url) { this.url = url; }
    public String getSha256() { return sha256; }
    public void setSha256(String sha256) { this.sha256 = sha256; }
}
