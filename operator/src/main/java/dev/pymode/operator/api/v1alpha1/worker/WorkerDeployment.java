package dev.pymode.operator.api.v1alpha1.worker;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** What is deployed on Cloudflare. */
public class WorkerDeployment {

    @JsonPropertyDescription("Cloudflare script name.")
    private String scriptName;

    @JsonPropertyDescription("ID of the deployed Worker version.")
    private String versionId;

    @JsonPropertyDescription("URL the worker answers on (workers.dev or the first route).")
    private String url;

    @JsonPropertyDescription("When the current version was deployed (RFC 3339).")
    private String deployedAt;

    @JsonPropertyDescription("Cloudflare account the script lives in.")
    private String accountId;

    @JsonPropertyDescription("Digest of the uploaded content and settings; an equal digest means nothing to upload.")
    private String uploadDigest;

    @JsonPropertyDescription("Digest of everything the upload is made from (spec generation, artifact, resolved "
            + "resources, secret values, schedules); while it and the script's modification time are unchanged, "
            + "a resync makes no Cloudflare call.")
    private String inputsDigest;

    @JsonPropertyDescription("The script's modified_on in the account listing when the operator last deployed or "
            + "verified it; a different one in a later listing means it was changed outside the operator.")
    private String observedModifiedOn;

    @JsonPropertyDescription("When the operator last read the script's settings, subdomain, routes and cron "
            + "triggers back from Cloudflare (RFC 3339).")
    private String verifiedAt;

    @JsonPropertyDescription("The account's script that serves the bundle's static assets (its stdlib) to this one "
            + "through a service binding, shared by every worker with the same files; when a listing no longer shows "
            + "it, the operator uploads it again.")
    private String assetsScript;

    @JsonPropertyDescription("Share of traffic (percent) the deployed version receives.")
    private Integer percentage;

    @JsonPropertyDescription("PyModeWorkflow schedules deployed as cron triggers of the script.")
    private List<WorkerSchedule> schedules = new ArrayList<>();

    @JsonPropertyDescription("Zone routes of the script, as created on Cloudflare.")
    private List<DeployedRoute> routes = new ArrayList<>();

    public List<DeployedRoute> getRoutes() { return routes; }
    public void setRoutes(List<DeployedRoute> routes) { this.routes = routes; }
    public List<WorkerSchedule> getSchedules() { return schedules; }
    public void setSchedules(List<WorkerSchedule> schedules) { this.schedules = schedules; }
    public String getAccountId() { return accountId; }
    public void setAccountId(String accountId) { this.accountId = accountId; }
    public String getUploadDigest() { return uploadDigest; }
    public void setUploadDigest(String uploadDigest) { this.uploadDigest = uploadDigest; }
    public String getInputsDigest() { return inputsDigest; }
    public void setInputsDigest(String inputsDigest) { this.inputsDigest = inputsDigest; }
    public String getObservedModifiedOn() { return observedModifiedOn; }
    public void setObservedModifiedOn(String observedModifiedOn) { this.observedModifiedOn = observedModifiedOn; }
    public String getVerifiedAt() { return verifiedAt; }
    public void setVerifiedAt(String verifiedAt) { this.verifiedAt = verifiedAt; }
    public String getAssetsScript() { return assetsScript; }
    public void setAssetsScript(String assetsScript) { this.assetsScript = assetsScript; }
    public Integer getPercentage() { return percentage; }
    public void setPercentage(Integer percentage) { this.percentage = percentage; }
    public String getScriptName() { return scriptName; }
    public void setScriptName(String scriptName) { this.scriptName = scriptName; }
    public String getVersionId() { return versionId; }
    public void setVersionId(String versionId) { this.versionId = versionId; }
    public String getUrl() { return url; }
    public void setUrl(String url) { this.url = url; }
    public String getDeployedAt() { return deployedAt; }
    public void setDeployedAt(String deployedAt) { this.deployedAt = deployedAt; }
}
