package dev.pymode.operator.api.v1alpha1.common;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** The build in progress (or last failed) for the current build key. */
public class BuildProgress {

    @JsonPropertyDescription("Build key the build is for.")
    private String key;

    @JsonPropertyDescription("Name of the build (the Job's name in a cluster).")
    private String name;

    @JsonPropertyDescription("Failed attempts so far for this key; retries back off exponentially.")
    private Integer failedAttempts = 0;

    @JsonPropertyDescription("When the current attempt started (RFC 3339).")
    private String startedAt;

    @JsonPropertyDescription("When the last attempt failed (RFC 3339).")
    private String lastFailureTime;

    @JsonPropertyDescription("Set once no further attempt is made for this key: the Built condition's reason (a "
            + "resource limit such as BuildOutOfMemory or BuildDeadlineExceeded, or BuildFailed when every attempt "
            + "failed). A change to the spec or source, hence a new key, starts over.")
    private String stalledReason;

    @JsonPropertyDescription("The Built condition's message while the build is stalled.")
    private String stalledMessage;

    @JsonPropertyDescription("Reason of the last failed attempt (FailureClassifier's: PackageNotFound, "
            + "NetworkUnavailable, BuildFailed, ...).")
    private String lastFailureReason;

    @JsonPropertyDescription("The decisive line of the last failed attempt's log.")
    private String lastFailureMessage;

    @JsonPropertyDescription("metadata.generation of the resource when the last attempt failed: a newer generation "
            + "(a spec change) starts a new attempt at once, without waiting for the backoff.")
    private Long failedGeneration;

    public String getKey() { return key; }
    public void setKey(String key) { this.key = key; }
    public String getName() { return name; }
    public void setName(String name) { this.name = name; }
    public Integer getFailedAttempts() { return failedAttempts; }
    public void setFailedAttempts(Integer failedAttempts) { this.failedAttempts = failedAttempts; }
    public String getStartedAt() { return startedAt; }
    public void setStartedAt(String startedAt) { this.startedAt = startedAt; }
    public String getLastFailureTime() { return lastFailureTime; }
    public void setLastFailureTime(String lastFailureTime) { this.lastFailureTime = lastFailureTime; }
    public String getStalledReason() { return stalledReason; }
    public void setStalledReason(String stalledReason) { this.stalledReason = stalledReason; }
    public String getStalledMessage() { return stalledMessage; }
    public void setStalledMessage(String stalledMessage) { this.stalledMessage = stalledMessage; }
    public String getLastFailureReason() { return lastFailureReason; }
    public void setLastFailureReason(String lastFailureReason) { this.lastFailureReason = lastFailureReason; }
    public String getLastFailureMessage() { return lastFailureMessage; }
    public void setLastFailureMessage(String lastFailureMessage) { this.lastFailureMessage = lastFailureMessage; }
    public Long getFailedGeneration() { return failedGeneration; }
    public void setFailedGeneration(Long failedGeneration) { this.failedGeneration = failedGeneration; }
}
