package dev.pymode.operator.api.v1alpha1.worker;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

/** Gradual deployment of a new version beside the previous one. */
public class Rollout {

    @JsonPropertyDescription("Percentage of requests (1-100) served by the newest version; the previous version "
            + "serves the rest.")
    @Min(1)
    @Max(100)
    @Default("100")
    private Integer percentage = 100;

    public Integer getPercentage() { return percentage; }
    public void setPercentage(Integer percentage) { this.percentage = percentage; }
}
