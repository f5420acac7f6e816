package dev.pymode.operator.api.v1alpha1.worker;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.pymode.operator.api.v1alpha1.common.ArtifactReference;
import dev.pymode.operator.api.v1alpha1.common.BuildProgress;
import dev.pymode.operator.api.v1alpha1.common.PyModeStatus;

/** Observed state of a PyModeWorker. */
public class PyModeWorkerStatus extends PyModeStatus {

    @JsonPropertyDescription("Digest of the resolved project source (sha256 over paths and contents).")
    private String sourceDigest;

    @JsonPropertyDescription("Where the resolved source came from: `git:<url>@<ref>:<commit sha>`, "
            + "`oci:<registry>/<repository>[:<tag>]@sha256:<manifest digest>`, `configmap/<name>@<resourceVersion>` "
            + "or `inline@generation-<n>`.")
    private String sourceRevision;

    @JsonPropertyDescription("The built worker bundle.")
    private ArtifactReference artifact;

    @JsonPropertyDescription("The build in progress, or the last failed one, for the current inputs.")
    private BuildProgress build;

    @JsonPropertyDescription("Catalogue recipes attached automatically because the packages need them "
            + "(spec.autoAttachRecipes): each recipe's side-module artifact goes into the bundle like a listed "
            + "PyModeExtension's.")
    private List<AttachedRecipe> attachedRecipes = new ArrayList<>();

    @JsonPropertyDescription("Digest of the inputs of the package resolution (packages, extension artifacts, runtime) "
            + "that attachedRecipes was found for; another resolution finds them again.")
    private String attachedRecipesFor;

    @JsonPropertyDescription("The live deployment on Cloudflare.")
    private WorkerDeployment deployment;

    public String getSourceDigest() { return sourceDigest; }
    public void setSourceDigest(String sourceDigest) { this.sourceDigest = sourceDigest; }
    public String getSourceRevision() { return sourceRevision; }
    public void setSourceRevision(String sourceRevision) { this.sourceRevision = sourceRevision; }
    public ArtifactReference getArtifact() { return artifact; }
    public void setArtifact(ArtifactReference artifact) { this.artifact = artifact; }
    public BuildProgress getBuild() { return build; }
    public void setBuild(BuildProgress build) { this.build = build; }
    public List<AttachedRecipe> getAttachedRecipes() { return attachedRecipes; }
    public void setAttachedRecipes(List<AttachedRecipe> attachedRecipes) { this.attachedRecipes = attachedRecipes; }
    public String getAttachedRecipesFor() { return attachedRecipesFor; }
    public void setAttachedRecipesFor(String attachedRecipesFor) { this.attachedRecipesFor = attachedRecipesFor; }
    public WorkerDeployment getDeployment() { return deployment; }
    public void setDeployment(WorkerDeployment deployment) { this.deployment = deployment; }
}
