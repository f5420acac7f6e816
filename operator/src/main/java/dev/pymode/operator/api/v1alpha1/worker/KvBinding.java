package dev.pymode.operator.api.v1alpha1.worker;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/** A Workers KV namespace, found by title or created. */
public class KvBinding extends NamedBinding {

    @JsonPropertyDescription("Title of the KV namespace in the account; created when missing.")
    @Required
    @Size(min = 1, max = 512)
    private String namespace;

    public String getNamespace() { return namespace; }
    public void setNamespace(String namespace) { this.namespace = namespace; }
}
