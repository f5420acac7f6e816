package dev.pymode.operator.api.v1alpha1.extension;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** An extension module in the artifact and the init function its side module exports. */
public class ExtensionEntryPoint {

    @JsonPropertyDescription("Dotted module name, as imported.")
    private String module;

    @JsonPropertyDescription("PyInit_* symbol CPython calls to initialise it.")
    private String init;

    @JsonPropertyDescription("Recipe that builds it (the extension's own, or one it depends on).")
    private String recipe;

    public ExtensionEntryPoint() {
    }

    public ExtensionEntryPoint(String module, String init, String recipe) {
        this.module = module;
        this.init = init;
        this.recipe = recipe;
    }

    public String getModule() { return module; }
    public void setModule(String module) { this.module = module; }
    public String getInit() { return init; }
    public void setInit(String init) { this.init = init; }
    public String getRecipe() { return recipe; }
    public void setRecipe(String recipe) { this.recipe = recipe; }
}
