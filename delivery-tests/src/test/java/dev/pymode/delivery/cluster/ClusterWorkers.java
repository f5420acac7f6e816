package dev.pymode.delivery.cluster;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;

/**
 * The cluster tier's PyModeWorkers of one namespace, as a user sees them: inline workers created and changed,
 * their conditions awaited for the current generation, their builder Jobs and events. The namespace is per run and
 * written into every worker's source, so every run has fresh build keys (no cache hit from a kept registry).
 */
final class ClusterWorkers {

    static final Duration BUILD_WAIT = Duration.ofMinutes(5);

    private final KubernetesClient client;
    private final String namespace;

    ClusterWorkers(KubernetesClient client, String namespace) {
        this.client = client;
        this.namespace = namespace;
    }

    /** A worker whose {@code on_fetch} body is {@code body} (one line of Python). */
    void create(String name, String body, List<String> packages) {
        GenericKubernetesResource worker = new GenericKubernetesResource();
        worker.setApiVersion("pymode.dev/v1alpha1");
        worker.setKind("PyModeWorker");
        worker.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
        Map<String, Object> spec = new LinkedHashMap<>(Map.of("source", source(body),
                "cloudflare", Map.of("workersDev", true)));
        if (!packages.isEmpty()) {
            spec.put("packages", packages);
        }
        worker.setAdditionalProperties(Map.of("spec", spec));
        resources().resource(worker).create();
    }

    void create(String name, String body) {
        create(name, body, List.of());
    }

    /** A new generation: the worker's code changed to {@code body}. */
    @SuppressWarnings("unchecked")
    void changeCode(String name, String body) {
        resources().withName(name).edit(w -> {
            Map<String, Object> spec = new LinkedHashMap<>((Map<String, Object>) w.getAdditionalProperties().get("spec"));
            spec.put("source", source(body));
            w.setAdditionalProperty("spec", spec);
            return w;
        });
    }

    private Map<String, Object> source(String body) {
        String code = "# " + namespace + "\nfrom pymode.workers import Response\n\ndef on_fetch(request, env):\n    "
                + body + "\n";
        return Map.of("inline", Map.of("files", List.of(Map.of("path", "src/entry.py", "content", code))));
    }

    NonNamespaceOperation<GenericKubernetesResource, GenericKubernetesResourceList,
            Resource<GenericKubernetesResource>> resources() {
        return client.genericKubernetesResources("pymode.dev/v1alpha1", "PyModeWorker").inNamespace(namespace);
    }

    @SuppressWarnings("unchecked")
    static Optional<Map<String, String>> condition(GenericKubernetesResource worker, String type) {
        Object status = worker.getAdditionalProperties().get("status");
        if (!(status instanceof Map<?, ?> map) || !(map.get("conditions") instanceof List<?> conditions)) {
            return Optional.empty();
        }
        return conditions.stream().map(c -> (Map<String, String>) c).filter(c -> type.equals(c.get("type")))
                .findFirst();
    }

    /** Waits until the worker's condition has the status for its current generation. */
    GenericKubernetesResource awaitCondition(String name, String type, String status, Duration wait) {
        Instant deadline = Instant.now().plus(wait);
        GenericKubernetesResource worker = null;
        while (Instant.now().isBefore(deadline)) {
            worker = resources().withName(name).get();
            Object generation = worker.getMetadata().getGeneration();
            Object observed = worker.getAdditionalProperties().get("status") instanceof Map<?, ?> s
                    ? s.get("observedGeneration") : null;
            if (observed != null && String.valueOf(observed).equals(String.valueOf(generation))
                    && condition(worker, type).map(c -> status.equals(c.get("status"))).orElse(false)) {
                return worker;
            }
            sleep(500);
        }
        throw new AssertionError(name + ": " + type + " is not " + status + " after " + wait.toSeconds() + " s; status: "
                + (worker == null ? "none" : worker.getAdditionalProperties().get("status")) + "; events: "
                + events(name, null));
    }

    List<Job> buildJobs(String owner) {
        return client.batch().v1().jobs().inNamespace(namespace).withLabel("pymode.dev/owner-name", owner).list()
                .getItems();
    }

    Job awaitJob(String owner, Predicate<Job> test) {
        Instant deadline = Instant.now().plus(BUILD_WAIT);
        while (Instant.now().isBefore(deadline)) {
            Optional<Job> job = buildJobs(owner).stream().filter(test).findFirst();
            if (job.isPresent()) {
                return job.get();
            }
            sleep(100);
        }
        throw new AssertionError("no builder Job for " + owner + "; events: " + events(owner, null));
    }

    /** Messages of the worker's events, optionally of one reason. */
    List<String> events(String worker, String reason) {
        List<String> out = new ArrayList<>();
        for (var event : client.v1().events().inNamespace(namespace).list().getItems()) {
            if (worker.equals(event.getInvolvedObject().getName())
                    && "PyModeWorker".equals(event.getInvolvedObject().getKind())
                    && (reason == null || reason.equals(event.getReason()))) {
                int count = event.getCount() == null ? 1 : event.getCount();
                for (int i = 0; i < count; i++) {
                    out.add(event.getReason() + ": " + event.getMessage());
                }
            }
        }
        return out;
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
