package dev.pymode.operator.api.v1alpha1.extension;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** Desired state of a PyModeExtension. */
@ValidationRule(value = "has(self.recipe) != has(self.inline)",
        message = "set exactly one of recipe (a name from the recipe catalogue) or inline (a full recipe)")
public class PyModeExtensionSpec {

    @JsonPropertyDescription("Name of a recipe shipped with the operator (recipes/<name>.json), e.g. `markupsafe`.")
    @Size(max = 64)
    @ValidationRule(value = "self.matches('^[a-z0-9][a-z0-9._-]*$')",
            message = "recipe must be a catalogue name: lowercase letters, digits, '.', '_' or '-'")
    private String recipe;

    @JsonPropertyDescription("A recipe written in the resource, for extensions not in the catalogue.")
    private Recipe inline;

    @JsonPropertyDescription("Python version the side module is built for; must match the runtime.")
    @Default("3.13")
    @ValidationRule(value = "self == '3.13'", message = "pythonVersion must be 3.13, the runtime's version")
    private String pythonVersion = "3.13";

    public String getRecipe() { return recipe; }
    public void setRecipe(String recipe) { this.recipe = recipe; }
    public Recipe getInline() { return inline; }
    public void setInline(Recipe inline) { this.inline = inline; }
    public String getPythonVersion() { return pythonVersion; }
    public void setPythonVersion(String pythonVersion) { this.pythonVersion = pythonVersion; }
}
