package dev.pymode.operator.api.v1alpha1.worker;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** A route on one of the account's zones. */
public class WorkerRoute {

    @JsonPropertyDescription("Route pattern, e.g. `example.com/api/*`.")
    @Required
    @Size(min = 1, max = 1024)
    @ValidationRule(value = "!self.contains('://')", message = "route patterns have no scheme: write example.com/path/*")
    private String pattern;

    @JsonPropertyDescription("Zone name the pattern belongs to; defaults to the pattern's host.")
    @Size(max = 253)
    private String zoneName;

    public String getPattern() { return pattern; }
    public void setPattern(String pattern) { this.pattern = pattern; }
    public String getZoneName() { return zoneName; }
    public void setZoneName(String zoneName) { this.zoneName = zoneName; }
}
