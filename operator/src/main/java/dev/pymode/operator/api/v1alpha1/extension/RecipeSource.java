package dev.pymode.operator.api.v1alpha1.extension;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** The source archive of an extension, pinned by checksum. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "has(self.pypi) != has(self.url)", message = "recipe source needs exactly one of pypi or url")
public class RecipeSource {

    @JsonPropertyDescription("PyPI project name; the sdist `filename` is looked up in its simple index.")
    @Size(max = 128)
    @Pattern("^[A-Za-z0-9][A-Za-z0-9._-]*$")
    private String pypi;

    @JsonPropertyDescription("Direct https URL of the archive (instead of pypi).")
    @Size(max = 2048)
    @ValidationRule(value = "self.startsWith('https://')", message = "recipe source url must use https")
    private String url;

    @JsonPropertyDescription("Archive file name (the sdist), e.g. `markupsafe-3.0.2.tar.gz`.")
    @Required
    @Size(max = 256)
    @Pattern("^[^/]+\\.(tar\\.gz|tgz|zip)$")
    private String filename;

    @JsonPropertyDescription("sha256 of the archive (64 lowercase hex characters).")
    @Required
    @Size(min = 64, max = 64)
    @ValidationRule(value = "self.matches('^[0-9a-f]{64}$')", message = "sha256 must be 64 lowercase hex characters")
    private String sha256;

    @JsonPropertyDescription("Leading path components to drop when unpacking (default 1).")
    @Min(0)
    private Integer strip;

    public String getPypi() { return pypi; }
    public void setPypi(String pypi) { this.pypi = pypi; }
    public String getUrl() { return url; }
    public void setUrl(String url) { this.url = url; }
    public String getFilename() { return filename; }
    public void setFilename(String filename) { this.filename = filename; }
    public String getSha256() { return sha256; }
    public void setSha256(String sha256) { this.sha256 = sha256; }
    public Integer getStrip() { return strip; }
    public void setStrip(Integer strip) { this.strip = strip; }
}
