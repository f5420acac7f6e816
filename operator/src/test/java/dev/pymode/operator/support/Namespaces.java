package dev.pymode.operator.support;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;

/** Test namespaces. */
public final class Namespaces {

    private Namespaces() {
    }

    public static void ensure(KubernetesClient client, String name) {
        if (client.namespaces().withName(name).get() == null) {
            client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
                    .create();
        }
    }
}
