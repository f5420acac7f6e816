package dev.pymode.operator.api.v1alpha1.extension;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * A Rust extension (a maturin/PyO3 crate) built by builder-image/extensions/build_rust_extension.py: cross-compiled
 * for wasm32-wasip1 with the standard library rebuilt position-independent, crates vendored from the lock file, linked
 * as a side module like a C one (docs/extensions.md, "Rust recipes").
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public class RecipeRust {

    @JsonPropertyDescription("The extension crate's Cargo.toml, relative to the unpacked source (default Cargo.toml).")
    @Size(max = 256)
    @Pattern("^[^/].*Cargo\\.toml$")
    private String manifest;

    @JsonPropertyDescription("A Cargo.lock in the operator's recipe catalogue, for a source without one.")
    @Size(max = 256)
    @Pattern("^[^/].*\\.lock$")
    private String lockfile;

    @JsonPropertyDescription("Cargo features to enable (maturin's `features`).")
    @Size(max = 32)
    private List<@Size(max = 128) @Pattern("^[A-Za-z0-9_][A-Za-z0-9_/.+-]*$") String> features = new ArrayList<>();

    @JsonProperty("no_default_features")
    @JsonPropertyDescription("Build without the crate's default features.")
    private Boolean noDefaultFeatures;

    @JsonPropertyDescription("Extra rustc flags (after -C relocation-model=pic -C panic=abort).")
    @Size(max = 32)
    private List<@Size(min = 1, max = 256) String> rustflags = new ArrayList<>();

    @JsonPropertyDescription("Extra environment for cargo and the crates' build scripts (names: upper case).")
    @Size(max = 32)
    @ValidationRule(value = "self.all(k, k.matches('^[A-Z_][A-Z0-9_]*$'))",
            message = "rust.env names are upper-case environment variable names")
    private Map<String, @Size(max = 1024) String> env = new LinkedHashMap<>();

    public String getManifest() { return manifest; }
    public void setManifest(String manifest) { this.manifest = manifest; }
    public String getLockfile() { return lockfile; }
    public void setLockfile(String lockfile) { this.lockfile = lockfile; }
    public List<String> getFeatures() { return features; }
    public void setFeatures(List<String> features) { this.features = features; }
    public Boolean getNoDefaultFeatures() { return noDefaultFeatures; }
    public void setNoDefaultFeatures(Boolean noDefaultFeatures) { this.noDefaultFeatures = noDefaultFeatures; }
    public List<String> getRustflags() { return rustflags; }
    public void setRustflags(List<String> rustflags) { this.rustflags = rustflags; }
    public Map<String, String> getEnv() { return env; }
    public void setEnv(Map<String, String> env) { this.env = env; }
}
