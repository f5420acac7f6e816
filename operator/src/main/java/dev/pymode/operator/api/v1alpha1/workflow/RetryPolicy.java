package dev.pymode.operator.api.v1alpha1.workflow;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

/** Step retry defaults: attempt n waits backoffSeconds * factor^(n-1). */
public class RetryPolicy {

    @JsonPropertyDescription("Retries after the first failed attempt.")
    @Min(0)
    @Max(20)
    @Default("3")
    private Integer retries = 3;

    @JsonPropertyDescription("Delay before the first retry, in seconds.")
    @Min(0)
    @Max(3600)
    @Default("1")
    private Double backoffSeconds = 1.0;

    @JsonPropertyDescription("Multiplier applied to the delay after each retry.")
    @Min(1)
    @Max(10)
    @Default("2")
    private Double backoffFactor = 2.0;

    public Integer getRetries() { return retries; }
    public void setRetries(Integer retries) { this.retries = retries; }
    public Double getBackoffSeconds() { return backoffSeconds; }
    public void setBackoffSeconds(Double backoffSeconds) { this.backoffSeconds = backoffSeconds; }
    public Double getBackoffFactor() { return backoffFactor; }
    public void setBackoffFactor(Double backoffFactor) { this.backoffFactor = backoffFactor; }
}
