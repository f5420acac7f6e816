package dev.pymode.operator.events;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.jboss.logging.Logger;

/** Emits Kubernetes Events on a resource at stage transitions (kubectl describe shows them). */
public class EventRecorder {

    private static final Logger LOG = Logger.getLogger(EventRecorder.class);
    private static final int MAX_MESSAGE = 1024;

    private final KubernetesClient client;
    private final Clock clock;

    public EventRecorder(KubernetesClient client, Clock clock) {
        this.client = client;
        this.clock = clock;
    }

    public void normal(HasMetadata resource, String reason, String message) {
        emit(resource, "Normal", reason, message);
    }

    public void warning(HasMetadata resource, String reason, String message) {
        emit(resource, "Warning", reason, message);
    }

    /**
     * A message within the Event size limit: the first line (the summary: what failed) and as much of the end as
     * fits (a log's end holds the error).
     */
    static String fit(String message) {
        if (message.length() <= MAX_MESSAGE) {
            return message;
        }
        int newline = message.indexOf('\n');
        String first = newline < 0 || newline > MAX_MESSAGE / 2 ? "" : message.substring(0, newline) + "\n";
        int room = MAX_MESSAGE - first.length() - 1;
        return first + "…" + message.substring(message.length() - room);
    }

    private void emit(HasMetadata resource, String type, String reason, String message) {
        String now = Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString();
        String text = fit(message);
        try {
            client.v1().events().inNamespace(resource.getMetadata().getNamespace()).resource(new EventBuilder()
                    .withNewMetadata()
                    .withName(resource.getMetadata().getName() + "." + UUID.randomUUID().toString().substring(0, 8))
                    .withNamespace(resource.getMetadata().getNamespace()).endMetadata()
                    .withNewInvolvedObject()
                    .withApiVersion(resource.getApiVersion()).withKind(resource.getKind())
                    .withName(resource.getMetadata().getName()).withNamespace(resource.getMetadata().getNamespace())
                    .withUid(resource.getMetadata().getUid()).endInvolvedObject()
                    .withType(type).withReason(reason).withMessage(text)
                    .withFirstTimestamp(now).withLastTimestamp(now).withCount(1)
                    .withNewSource().withComponent("pymode-operator").endSource()
                    .build()).create();
        } catch (KubernetesClientException e) {
            // Events are best effort: a failure to record one must not fail the reconcile.
            LOG.warnf("cannot record event %s on %s: %s", reason, resource.getMetadata().getName(), e.getMessage());
        }
    }
}
