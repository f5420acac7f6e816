package dev.pymode.operator.api.v1alpha1.common;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** A key in a Secret of the resource's own namespace. */
@ValidationRule(value = "has(self.name) && has(self.key) && self.name != '' && self.key != ''",
        message = "a secret reference needs both name and key")
public class SecretKeyReference {

    @JsonPropertyDescription("Name of the Secret, in the same namespace as the resource.")
    @Size(max = 253)
    @Pattern("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
    private String name;

    @JsonPropertyDescription("Key within the Secret's data.")
    @Size(max = 253)
    @Pattern("^[-._a-zA-Z0-9]+$")
    private String key;

    public SecretKeyReference() {
    }

    public SecretKeyReference(String name, String key) {
        this.name = name;
        this.key = key;
    }

    public String getName() { return name; }
    public void setName(String name) { this.name = name; }
    public String getKey() { return key; }
    public void setKey(String key) { this.key = key; }
}
