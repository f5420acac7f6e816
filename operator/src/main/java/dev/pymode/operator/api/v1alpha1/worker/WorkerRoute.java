package dev.pymode.operator.api.v1alpha1.worker;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.pymode.operator.api.v1alpha1.common.Syntax;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** A route on one of the account's zones. */
public class WorkerRoute {

    @JsonPropertyDescription("Route pattern, e.g. `example.com/api/*`.")
    @Required
    @Size(min = 1, max = 1024)
    @ValidationRule(value = "!self.contains('://')", message = "route patterns have no scheme: write example.com/path/*")
    @ValidationRule(value = "self.contains('://') || self.matches(r'''" + Syntax.ROUTE_PATTERN + "''')",
            message = "route pattern must be a host name (optionally starting with * or *.) and an optional path "
                    + "whose only wildcard is a trailing *, e.g. *.example.com/api/*; no port, query or spaces")
    private String pattern;

    @JsonPropertyDescription("Zone name the pattern belongs to; defaults to the pattern's host.")
    @Size(max = 253)
    @ValidationRule(value = "self.matches(r'''" + Syntax.ZONE_NAME + "''')",
            message = "zoneName must be a lowercase DNS name such as example.com")
    private String zoneName;

    public String getPattern() { return pattern; }
    public void setPattern(String pattern) { this.pattern = pattern; }
    public String getZoneName() { return zoneName; }
    public void setZoneName(String zoneName) { this.zoneName = zoneName; }
}
