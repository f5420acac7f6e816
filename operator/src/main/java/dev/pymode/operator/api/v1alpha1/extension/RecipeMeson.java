package dev.pymode.operator.api.v1alpha1.extension;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;

/**
 * A recipe built by the project's own meson.build, cross-compiled for wasm32-wasi: every py.extension_module()
 * becomes a side module (docs/extensions.md, "meson recipes").
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public class RecipeMeson {

    @JsonPropertyDescription("meson.py inside the source to run (e.g. a vendored meson); default: the pinned meson.")
    @Size(max = 256)
    private String meson;

    @JsonPropertyDescription("`meson setup` options (-Dname=value), e.g. to turn off SIMD dispatch, BLAS or threads.")
    @Size(max = 64)
    private List<String> options = new ArrayList<>();

    @JsonPropertyDescription("Extra [properties] of the cross file (e.g. numpy's longdouble_format).")
    @Size(max = 32)
    private Map<String, String> properties = new LinkedHashMap<>();

    @JsonProperty("install_tags")
    @JsonPropertyDescription("`meson install --tags` (default: runtime, python-runtime).")
    @Size(max = 16)
    private List<String> installTags = new ArrayList<>();

    public String getMeson() { return meson; }
    public void setMeson(String meson) { this.meson = meson; }
    public List<String> getOptions() { return options; }
    public void setOptions(List<String> options) { this.options = options; }
    public Map<String, String> getProperties() { return properties; }
    public void setProperties(Map<String, String> properties) { this.properties = properties; }
    public List<String> getInstallTags() { return installTags; }
    public void setInstallTags(List<String> installTags) { this.installTags = installTags; }
}
