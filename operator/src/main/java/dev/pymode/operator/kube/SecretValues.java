package dev.pymode.operator.kube;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;

import dev.pymode.operator.api.v1alpha1.common.SecretKeyReference;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * Reads values from Kubernetes Secrets. Values go only where they are meant for (Cloudflare, a git server, a
 * registry); never into logs, events or status.
 */
public class SecretValues {

    private final KubernetesClient client;

    public SecretValues(KubernetesClient client) {
        this.client = client;
    }

    /** A value and the Secret's resourceVersion (which tells a changed value without revealing it). */
    public record Value(String value, String resourceVersion) {
        @Override
        public String toString() {
            return "Value[<redacted>, resourceVersion=" + resourceVersion + "]";
        }
    }

    /** Thrown with a message that names the Secret and key, never the value. */
    public static class MissingSecretException extends RuntimeException {
        public MissingSecretException(String message) {
            super(message);
        }
    }

    /** The Secret, or empty when there is none (yet). */
    public Optional<Secret> find(String namespace, String name) {
        return Optional.ofNullable(client.secrets().inNamespace(namespace).withName(name).get());
    }

    /** The value under {@code key}, from {@code data} (base64) or else {@code stringData}; never logged or shown. */
    public static Optional<String> value(Secret secret, String key) {
        return Optional.ofNullable(secret.getData()).map(d -> d.get(key))
                .map(b64 -> new String(Base64.getDecoder().decode(b64), StandardCharsets.UTF_8))
                .or(() -> Optional.ofNullable(secret.getStringData()).map(d -> d.get(key)));
    }

    public Value read(String namespace, SecretKeyReference ref) {
        Secret secret = find(namespace, ref.getName()).orElseThrow(() -> new MissingSecretException("Secret "
                + namespace + "/" + ref.getName() + " not found"));
        return new Value(value(secret, ref.getKey()).orElseThrow(() -> new MissingSecretException("Secret " + namespace
                + "/" + ref.getName() + " has no key '" + ref.getKey() + "'")), secret.getMetadata().getResourceVersion());
    }
}
