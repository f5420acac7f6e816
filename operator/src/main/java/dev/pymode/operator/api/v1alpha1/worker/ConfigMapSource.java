package dev.pymode.operator.api.v1alpha1.worker;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/** Project files from a ConfigMap. */
public class ConfigMapSource {

    @JsonPropertyDescription("Name of the ConfigMap in the worker's namespace.")
    @Required
    @Size(min = 1, max = 253)
    @Pattern("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
    private String name;

    public String getName() { return name; }
    public void setName(String name) { this.name = name; }
}
