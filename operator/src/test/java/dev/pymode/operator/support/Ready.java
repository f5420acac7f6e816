package dev.pymode.operator.support;

import java.time.Duration;

import dev.pymode.operator.api.v1alpha1.common.PyModeStatus;
import dev.pymode.operator.status.Conditions;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.awaitility.Awaitility;

/** Waits for a PyMode resource to be Ready for its current generation; a Stalled one fails at once with its message. */
public final class Ready {

    private Ready() {
    }

    public static <T extends CustomResource<?, ? extends PyModeStatus>> T await(KubernetesClient client, Class<T> type,
                                                                                String namespace, String name,
                                                                                Duration timeout) {
        return Awaitility.await().atMost(timeout).pollInterval(Duration.ofMillis(500))
                .until(() -> client.resources(type).inNamespace(namespace).withName(name).get(), r -> {
                    if (r == null || r.getStatus() == null) {
                        return false;
                    }
                    Conditions.find(r.getStatus().getConditions(), "Stalled").ifPresent(c -> {
                        throw new AssertionError(namespace + "/" + name + " stalled: " + c.getMessage());
                    });
                    return Conditions.isTrue(r.getStatus().getConditions(), "Ready")
                            && r.getMetadata().getGeneration().equals(r.getStatus().getObservedGeneration());
                });
    }
}
