package dev.pymode.operator.api.v1alpha1.extension;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.pymode.operator.api.v1alpha1.common.ArtifactReference;
import dev.pymode.operator.api.v1alpha1.common.BuildProgress;
import dev.pymode.operator.api.v1alpha1.common.PyModeStatus;

/** Observed state of a PyModeExtension. */
public class PyModeExtensionStatus extends PyModeStatus {

    @JsonPropertyDescription("The built side-module artifact (the recipe and the recipes it depends on).")
    private ArtifactReference artifact;

    @JsonPropertyDescription("The build in progress, or the last failed one, for the current inputs.")
    private BuildProgress build;

    @JsonPropertyDescription("Digest of the recipe files the artifact is built from (recipes and patches).")
    private String recipesDigest;

    @JsonPropertyDescription("Extension modules the artifact provides and their PyInit_* entry points.")
    private List<ExtensionEntryPoint> entryPoints = new ArrayList<>();

    public ArtifactReference getArtifact() { return artifact; }
    public void setArtifact(ArtifactReference artifact) { this.artifact = artifact; }
    public BuildProgress getBuild() { return build; }
    public void setBuild(BuildProgress build) { this.build = build; }
    public String getRecipesDigest() { return recipesDigest; }
    public void setRecipesDigest(String recipesDigest) { this.recipesDigest = recipesDigest; }
    public List<ExtensionEntryPoint> getEntryPoints() { return entryPoints; }
    public void setEntryPoints(List<ExtensionEntryPoint> entryPoints) { this.entryPoints = entryPoints; }
}
