package dev.pymode.operator.api.v1alpha1.extension;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** A further archive unpacked into the extension's source tree, pinned by checksum. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class RecipeExtraSource {

    @JsonPropertyDescription("https URL of the archive.")
    @Required
    @Size(max = 2048)
    @ValidationRule(value = "self.startsWith('https://')", message = "extra source url must use https")
    private String url;

    @JsonPropertyDescription("Archive file name.")
    @Required
    @Size(max = 256)
    // the builder saves the download under this name: a '/' or '..' would put it outside its download directory
    @ValidationRule(value = "self.matches('^[^/]+$') && self != '.' && self != '..'",
            message = "extra source filename must be a file name without '/' (not . or ..)")
    private String filename;

    @JsonPropertyDescription("sha256 of the archive (64 lowercase hex characters).")
    @Required
    @Size(min = 64, max = 64)
    @ValidationRule(value = "self.matches('^[0-9a-f]{64}$')", message = "sha256 must be 64 lowercase hex characters")
    private String sha256;

    @JsonPropertyDescription("Directory (relative to the unpacked source) to unpack into.")
    @Required
    @Size(max = 256)
    @ValidationRule(value = "!self.startsWith('/') && !self.contains('..')",
            message = "dest must be a relative path without '..'")
    private String dest;

    @JsonPropertyDescription("Leading path components to drop when unpacking (default 1).")
    @Min(0)
    private Integer strip;

    @JsonPropertyDescription("Where the pin was checked (e.g. Debian's Sources index).")
    @Size(max = 512)
    private String from;

    public String getUrl() { return url; }
    public void setUrl(String url) { this.url = url; }
    public String getFilename() { return filename; }
    public void setFilename(String filename) { this.filename = filename; }
    public String getSha256() { return sha256; }
    public void setSha256(String sha256) { this.sha256 = sha256; }
    public String getDest() { return dest; }
    public void setDest(String dest) { this.dest = dest; }
    public Integer getStrip() { return strip; }
    public void setStrip(Integer strip) { this.strip = strip; }
    public String getFrom() { return from; }
    public void setFrom(String from) { this.from = from; }
}
