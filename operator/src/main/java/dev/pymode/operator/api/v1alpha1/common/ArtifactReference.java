package dev.pymode.operator.api.v1alpha1.common;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** A build output stored in the OCI registry, addressed by digest. */
public class ArtifactReference {

    @JsonPropertyDescription("Full reference by digest, `registry/repository@sha256:...`.")
    private String ref;

    @JsonPropertyDescription("Manifest digest, `sha256:...`.")
    private String digest;

    @JsonPropertyDescription("Build key: hash of every input that determines the artifact.")
    private String buildKey;

    @JsonPropertyDescription("Total size of the artifact's layers in bytes.")
    private Long sizeBytes;

    @JsonPropertyDescription("True when an artifact with the same build key already existed, so nothing was built.")
    private Boolean cacheHit;

    @JsonPropertyDescription("How long the build took, in seconds (absent for a cache hit).")
    private Long buildSeconds;

    @JsonPropertyDescription("Worker bundles: `made` when the bundle carries a Wizer snapshot, `off` (spec.wizer: false), "
            + "or `skipped: <why>` when spec.wizer is unset and the entry cannot be snapshotted.")
    private String snapshot;

    public String getSnapshot() { return snapshot; }
    public void setSnapshot(String snapshot) { this.snapshot = snapshot; }
    public Boolean getCacheHit() { return cacheHit; }
    public void setCacheHit(Boolean cacheHit) { this.cacheHit = cacheHit; }
    public Long getBuildSeconds() { return buildSeconds; }
    public void setBuildSeconds(Long buildSeconds) { this.buildSeconds = buildSeconds; }
    public String getRef() { return ref; }
    public void setRef(String ref) { this.ref = ref; }
    public String getDigest() { return digest; }
    public void setDigest(String digest) { this.digest = digest; }
    public String getBuildKey() { return buildKey; }
    public void setBuildKey(String buildKey) { this.buildKey = buildKey; }
    public Long getSizeBytes() { return sizeBytes; }
    public void setSizeBytes(Long sizeBytes) { this.sizeBytes = sizeBytes; }
}
