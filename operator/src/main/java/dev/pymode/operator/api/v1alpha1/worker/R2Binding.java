package dev.pymode.operator.api.v1alpha1.worker;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** An R2 bucket, found by name or created. */
public class R2Binding extends NamedBinding {

    @JsonPropertyDescription("Name of the R2 bucket; created when missing.")
    @Required
    @Size(min = 3, max = 63)
    @ValidationRule(value = "self.matches('^[a-z0-9][a-z0-9-]*[a-z0-9]$')",
            message = "R2 bucket names are 3-63 lowercase letters, digits or '-', starting and ending with a letter or digit")
    private String bucket;

    public String getBucket() { return bucket; }
    public void setBucket(String bucket) { this.bucket = bucket; }
}
