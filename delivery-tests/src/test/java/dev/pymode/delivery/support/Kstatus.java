package dev.pymode.delivery.support;

import java.util.List;
import java.util.Map;

/**
 * kstatus' status computation (sigs.k8s.io/cli-utils pkg/kstatus/status, {@code Compute}) for a custom resource,
 * which is how Flux's kustomize-controller health checks and {@code kubectl wait}-style tooling read our kinds.
 * Transcribed rule by rule from kstatus' documented behaviour:
 * <ol>
 * <li>metadata.deletionTimestamp set: Terminating.</li>
 * <li>metadata.generation and status.observedGeneration both present and different: InProgress
 * ("LatestGenerationNotObserved"). A missing observedGeneration skips this check.</li>
 * <li>the first condition, in list order, that is {@code Reconciling=True} (InProgress) or {@code Stalled=True}
 * (Failed) decides.</li>
 * <li>custom resources have no type-specific rules, so the {@code Ready} condition decides next: True is Current,
 * False or Unknown is InProgress.</li>
 * <li>otherwise the resource is Current (no status at all counts as reconciled).</li>
 * </ol>
 */
public final class Kstatus {

    public enum Status { InProgress, Failed, Current, Terminating }

    public record Result(Status status, String message) {
    }

    private Kstatus() {
    }

    @SuppressWarnings("unchecked")
    public static Result compute(Map<String, Object> obj) {
        Map<String, Object> metadata = (Map<String, Object>) obj.getOrDefault("metadata", Map.of());
        Object deletion = metadata.get("deletionTimestamp");
        if (deletion instanceof String s && !s.isEmpty()) {
            return new Result(Status.Terminating, "Resource scheduled for deletion");
        }
        Map<String, Object> status = (Map<String, Object>) obj.get("status");
        Object generation = metadata.get("generation");
        Object observed = status == null ? null : status.get("observedGeneration");
        if (generation instanceof Number g && observed instanceof Number o && g.longValue() != o.longValue()) {
            return new Result(Status.InProgress, "%s generation is %d, but latest observed generation is %d"
                    .formatted(obj.get("kind"), g.longValue(), o.longValue()));
        }
        List<Map<String, Object>> conditions = status == null ? List.of()
                : (List<Map<String, Object>>) status.getOrDefault("conditions", List.of());
        for (Map<String, Object> condition : conditions) {
            if ("Reconciling".equals(condition.get("type")) && "True".equals(condition.get("status"))) {
                return new Result(Status.InProgress, (String) condition.get("message"));
            }
            if ("Stalled".equals(condition.get("type")) && "True".equals(condition.get("status"))) {
                return new Result(Status.Failed, (String) condition.get("message"));
            }
        }
        for (Map<String, Object> condition : conditions) {
            if (!"Ready".equals(condition.get("type"))) {
                continue;
            }
            Object value = condition.get("status");
            if ("True".equals(value)) {
                return new Result(Status.Current, "Resource is Ready");
            }
            if ("False".equals(value) || "Unknown".equals(value)) {
                return new Result(Status.InProgress, (String) condition.get("message"));
            }
        }
        return new Result(Status.Current, "Resource is current");
    }
}
