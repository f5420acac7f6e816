package dev.pymode.operator.api.v1alpha1.worker;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.pymode.operator.api.v1alpha1.common.SecretKeyReference;
import io.fabric8.generator.annotation.Required;

/** A Worker secret taken from a Kubernetes Secret; its value never appears in status, events or logs. */
public class SecretBinding extends NamedBinding {

    @JsonPropertyDescription("The Secret key holding the value.")
    @Required
    private SecretKeyReference secretKeyRef;

    public SecretKeyReference getSecretKeyRef() { return secretKeyRef; }
    public void setSecretKeyRef(SecretKeyReference secretKeyRef) { this.secretKeyRef = secretKeyRef; }
}
