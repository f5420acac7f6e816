package dev.pymode.operator.api.v1alpha1.extension;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** How to build a C extension into a wasm side module (the same format as recipes/*.json). */
public class Recipe {

    @JsonPropertyDescription("Distribution name, e.g. `markupsafe`.")
    @Required
    @Size(min = 1, max = 64)
    private String name;

    @JsonPropertyDescription("Exact version to build.")
    @Required
    @Size(min = 1, max = 64)
    private String version;

    @JsonPropertyDescription("Where the source comes from.")
    @Required
    private RecipeSource source;

    @JsonPropertyDescription("C source files to compile, relative to the unpacked source.")
    @Size(min = 1, max = 512)
    @Required
    private List<String> sources = new ArrayList<>();

    @JsonPropertyDescription("Extra include directories, relative to the unpacked source.")
    @Size(max = 64)
    private List<String> includes = new ArrayList<>();

    @JsonPropertyDescription("Extra compiler flags.")
    @Size(max = 64)
    private List<String> cflags = new ArrayList<>();

    @JsonPropertyDescription("Extension modules the side module provides: dotted module name -> PyInit_* symbol.")
    @Required
    @Size(min = 1, max = 64)
    @ValidationRule(value = "self.all(m, self[m].startsWith('PyInit_'))",
            message = "each module must map to its PyInit_<name> init symbol")
    private Map<String, String> modules = new LinkedHashMap<>();

    @JsonPropertyDescription("Pure-Python package directories to ship beside the side module.")
    @Size(max = 64)
    private List<String> packages = new ArrayList<>();

    @JsonPropertyDescription("Other recipes this one needs at build or run time.")
    @Size(max = 16)
    private List<String> depends = new ArrayList<>();

    public String getName() { return name; }
    public void setName(String name) { this.name = name; }
    public String getVersion() { return version; }
    public void setVersion(String version) { this.version = version; }
    public RecipeSource getSource() { return source; }
    public void setSource(RecipeSource source) { this.source = source; }
    public List<String> getSources() { return sources; }
    public void setSources(List<String> sources) { this.sources = sources; }
    public List<String> getIncludes() { return includes; }
    public void setIncludes(List<String> includes) { this.includes = includes; }
    public List<String> getCflags() { return cflags; }
    public void setCflags(List<String> cflags) { this.cflags = cflags; }
    public Map<String, String> getModules() { return modules; }
    public void setModules(Map<String, String> modules) { this.modules = modules; }
    public List<String> getPackages() { return packages; }
    public void setPackages(List<String> packages) { this.packages = packages; }
    public List<String> getDepends() { return depends; }
    public void setDepends(List<String> depends) { this.depends = depends; }
}
