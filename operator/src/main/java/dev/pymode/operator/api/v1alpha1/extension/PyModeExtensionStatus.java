package dev.pymode.operator.api.v1alpha1.extension;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.pymode.operator.api.v1alpha1.common.ArtifactReference;
import dev.pymode.operator.api.v1alpha1.common.PyModeStatus;

/** Observed state of a PyModeExtension. */
public class PyModeExtensionStatus extends PyModeStatus {

    @JsonPropertyDescription("The built side-module artifact.")
    private ArtifactReference artifact;

    @JsonPropertyDescription("PyInit_* entry points the side module exports.")
    private List<String> entryPoints = new ArrayList<>();

    public ArtifactReference getArtifact() { return artifact; }
    public void setArtifact(ArtifactReference artifact) { this.artifact = artifact; }
    public List<String> getEntryPoints() { return entryPoints; }
    public void setEntryPoints(List<String> entryPoints) { this.entryPoints = entryPoints; }
}
