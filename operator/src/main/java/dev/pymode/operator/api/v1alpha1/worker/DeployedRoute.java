package dev.pymode.operator.api.v1alpha1.worker;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** A zone route the operator created for the worker's script (removed when the spec drops it). */
public class DeployedRoute {

    @JsonPropertyDescription("Route pattern.")
    private String pattern;

    @JsonPropertyDescription("Zone ID the route lives in.")
    private String zoneId;

    @JsonPropertyDescription("Route ID in the zone.")
    private String id;

    public DeployedRoute() {
    }

    public DeployedRoute(String pattern, String zoneId, String id) {
        this.pattern = pattern;
        this.zoneId = zoneId;
        this.id = id;
    }

    public String getPattern() { return pattern; }
    public void setPattern(String pattern) { this.pattern = pattern; }
    public String getZoneId() { return zoneId; }
    public void setZoneId(String zoneId) { this.zoneId = zoneId; }
    public String getId() { return id; }
    public void setId(String id) { this.id = id; }
}
