package dev.pymode.operator.api.v1alpha1.extension;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/** One extension module of a recipe. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public class RecipeModule {

    @JsonPropertyDescription("Init symbol CPython calls: PyInit_<last part of the module name>.")
    @Required
    @Size(max = 128)
    private String init;

    @JsonPropertyDescription("Sources of this module (.c, .cpp, or .pyx compiled with the pinned Cython), relative to "
            + "the unpacked source; left out in a meson recipe, whose meson.build names them.")
    @Size(max = 512)
    private List<String> sources = new ArrayList<>();

    @JsonPropertyDescription("Extra compiler flags for this module.")
    @Size(max = 64)
    private List<String> cflags = new ArrayList<>();

    public String getInit() { return init; }
    public void setInit(String init) { this.init = init; }
    public List<String> getSources() { return sources; }
    public void setSources(List<String> sources) { this.sources = sources; }
    public List<String> getCflags() { return cflags; }
    public void setCflags(List<String> cflags) { this.cflags = cflags; }
}
