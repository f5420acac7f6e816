package dev.pymode.operator.api.v1alpha1.extension;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * How to build a C (or Rust) extension into wasm side modules: the format of recipes/*.json (recipes/schema.json), so a
 * recipe moves between the catalogue and a resource unchanged. The builder validates it against that schema too.
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@ValidationRule(value = "size(self.modules) > 0 || size(self.packages) > 0",
        message = "a recipe needs modules or packages: otherwise it builds nothing")
@ValidationRule(value = "!has(self.rust) || (size(self.modules) == 1 && !has(self.meson) && !has(self.sources)"
        + " && !has(self.includes) && !has(self.cflags))",
        message = "a rust recipe builds one module (the crate's, init only) and has no meson, sources, includes or cflags")
public class Recipe {

    @JsonPropertyDescription("Recipe name (the normalised project name), e.g. `markupsafe`.")
    @Required
    @Size(min = 1, max = 64)
    @Pattern("^[a-z0-9][a-z0-9._-]*$")
    private String name;

    @JsonPropertyDescription("Upstream version the recipe builds.")
    @Required
    @Size(min = 1, max = 64)
    @Pattern("^[0-9][0-9A-Za-z.+!-]*$")
    private String version;

    @JsonPropertyDescription("What the extension is.")
    @Size(max = 1024)
    private String description;

    @JsonPropertyDescription("Where the upstream source archive comes from, verified by sha256.")
    @Required
    private RecipeSource source;

    @JsonProperty("extra_sources")
    @JsonPropertyDescription("Further archives unpacked into the source tree (e.g. a C library linked statically).")
    @Size(max = 16)
    private List<RecipeExtraSource> extraSources = new ArrayList<>();

    @JsonPropertyDescription("Unified diffs applied with `patch -p1`, by path in the operator's recipe catalogue "
            + "(e.g. `patches/multidict/…`).")
    @Size(max = 32)
    // '..' is refused when the catalogue is read (a rule that scans the unbounded strings costs too much)
    @ValidationRule(value = "self.all(p, p.startsWith('patches/'))",
            message = "patches must be catalogue paths under patches/")
    private List<String> patches = new ArrayList<>();

    @JsonPropertyDescription("C sources (relative to the unpacked source) linked into every module.")
    @Size(max = 512)
    private List<String> sources = new ArrayList<>();

    @JsonPropertyDescription("Include directories relative to the unpacked source.")
    @Size(max = 64)
    private List<String> includes = new ArrayList<>();

    @JsonPropertyDescription("Extra compiler flags (e.g. -DNDEBUG).")
    @Size(max = 64)
    private List<String> cflags = new ArrayList<>();

    @JsonPropertyDescription("Build with the project's meson.build instead of sources/includes/cflags.")
    private RecipeMeson meson;

    @JsonPropertyDescription("Build a Rust (maturin/PyO3) crate instead of sources/meson: one module, init only.")
    private RecipeRust rust;

    @JsonPropertyDescription("Extension modules: dotted module name -> init symbol and sources (only init for meson and rust).")
    @JsonInclude(JsonInclude.Include.ALWAYS) // required by recipes/schema.json, even when empty
    @Size(max = 64)
    @ValidationRule(value = "self.all(m, self[m].init == 'PyInit_' + m.split('.')[size(m.split('.')) - 1])",
            message = "each module's init must be PyInit_<last part of the module name>, the symbol CPython looks for")
    private Map<String, RecipeModule> modules = new LinkedHashMap<>();

    @JsonPropertyDescription("Pure-Python packages to ship: import name -> directory in the unpacked source.")
    @Size(max = 64)
    private Map<String, String> packages = new LinkedHashMap<>();

    @JsonPropertyDescription("Other distributions this recipe's files include (name -> version): a worker's package "
            + "resolution treats them as installed.")
    @Size(max = 16)
    private Map<String, @Size(max = 64) String> provides = new LinkedHashMap<>();

    @JsonPropertyDescription("Catalogue recipes this one needs at run time; they are built into the same artifact.")
    @Size(max = 16)
    @ValidationRule(value = "self.all(d, d.matches('^[a-z0-9][a-z0-9._-]*$'))",
            message = "depends entries must be catalogue recipe names: lowercase letters, digits, '.', '_' or '-'")
    private List<@Size(min = 1, max = 64) String> depends = new ArrayList<>();

    @JsonPropertyDescription("Python code that must run without error once the extension is installed.")
    @Size(max = 8192)
    private String test;

    public String getName() { return name; }
    public void setName(String name) { this.name = name; }
    public String getVersion() { return version; }
    public void setVersion(String version) { this.version = version; }
    public String getDescription() { return description; }
    public void setDescription(String description) { this.description = description; }
    public RecipeSource getSource() { return source; }
    public void setSource(RecipeSource source) { this.source = source; }
    public List<RecipeExtraSource> getExtraSources() { return extraSources; }
    public void setExtraSources(List<RecipeExtraSource> extraSources) { this.extraSources = extraSources; }
    public List<String> getPatches() { return patches; }
    public void setPatches(List<String> patches) { this.patches = patches; }
    public List<String> getSources() { return sources; }
    public void setSources(List<String> sources) { this.sources = sources; }
    public List<String> getIncludes() { return includes; }
    public void setIncludes(List<String> includes) { this.includes = includes; }
    public List<String> getCflags() { return cflags; }
    public void setCflags(List<String> cflags) { this.cflags = cflags; }
    public RecipeMeson getMeson() { return meson; }
    public void setMeson(RecipeMeson meson) { this.meson = meson; }
    public RecipeRust getRust() { return rust; }
    public void setRust(RecipeRust rust) { this.rust = rust; }
    public Map<String, String> getProvides() { return provides; }
    public void setProvides(Map<String, String> provides) { this.provides = provides; }
    public Map<String, RecipeModule> getModules() { return modules; }
    public void setModules(Map<String, RecipeModule> modules) { this.modules = modules; }
    public Map<String, String> getPackages() { return packages; }
    public void setPackages(Map<String, String> packages) { this.packages = packages; }
    public List<String> getDepends() { return depends; }
    public void setDepends(List<String> depends) { this.depends = depends; }
    public String getTest() { return test; }
    public void setTest(String test) { this.test = test; }
}
