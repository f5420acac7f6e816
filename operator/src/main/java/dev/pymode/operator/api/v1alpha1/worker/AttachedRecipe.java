package dev.pymode.operator.api.v1alpha1.worker;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.pymode.operator.api.v1alpha1.common.ArtifactReference;
import dev.pymode.operator.api.v1alpha1.common.BuildProgress;

/** A catalogue recipe the operator attached to a worker because its packages need it (spec.autoAttachRecipes). */
public class AttachedRecipe {

    @JsonPropertyDescription("Name of the catalogue recipe (recipes/<name>.json in the operator).")
    private String recipe;

    @JsonPropertyDescription("The recipe's release: the release of the distribution the bundle gets.")
    private String version;

    @JsonPropertyDescription("The distribution of the worker's package resolution that needed it (it publishes no "
            + "pure-Python wheel).")
    private String distribution;

    @JsonPropertyDescription("The recipe's side-module artifact: the same artifact, by digest, as a PyModeExtension "
            + "with this recipe gets.")
    private ArtifactReference artifact;

    @JsonPropertyDescription("The recipe's build in progress, or the last failed one.")
    private BuildProgress build;

    public AttachedRecipe() {
    }

    public AttachedRecipe(String recipe, String version, String distribution) {
        this.recipe = recipe;
        this.version = version;
        this.distribution = distribution;
    }

    public String getRecipe() { return recipe; }
    public void setRecipe(String recipe) { this.recipe = recipe; }
    public String getVersion() { return version; }
    public void setVersion(String version) { this.version = version; }
    public String getDistribution() { return distribution; }
    public void setDistribution(String distribution) { this.distribution = distribution; }
    public ArtifactReference getArtifact() { return artifact; }
    public void setArtifact(ArtifactReference artifact) { this.artifact = artifact; }
    public BuildProgress getBuild() { return build; }
    public void setBuild(BuildProgress build) { this.build = build; }

    /** "zstandard 0.25.0 for zstandard", as messages and events name it. */
    public String describe() {
        return recipe + " " + version + " for " + distribution;
    }
}
