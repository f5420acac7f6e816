package dev.pymode.operator.status;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;

/** Reads and writes conditions in a status' list, keeping lastTransitionTime stable when the status is unchanged. */
public final class Conditions {

    /**
     * Longest condition message: a condition says what is wrong in a line or two; logs and tracebacks belong in
     * Events (kubectl get -o wide, Argo CD and Flux show the message whole).
     */
    public static final int MAX_MESSAGE = 512;

    private final Clock clock;

    public Conditions(Clock clock) {
        this.clock = clock;
    }

    public static Optional<Condition> find(List<Condition> conditions, String type) {
        return conditions.stream().filter(c -> type.equals(c.getType())).findFirst();
    }

    public static boolean isTrue(List<Condition> conditions, String type) {
        return find(conditions, type).map(c -> "True".equals(c.getStatus())).orElse(false);
    }

    /** Sets (adds or replaces) a condition. */
    public void set(List<Condition> conditions, String type, boolean status, String reason, String message,
                    long generation) {
        String statusText = status ? "True" : "False";
        String transition = find(conditions, type)
                .filter(existing -> statusText.equals(existing.getStatus()))
                .map(Condition::getLastTransitionTime)
                .orElseGet(() -> Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString());
        Condition condition = new ConditionBuilder()
                .withType(type)
                .withStatus(statusText)
                .withReason(reason)
                .withMessage(message != null && message.length() > MAX_MESSAGE
                        ? message.substring(0, MAX_MESSAGE - 1) + "…" : message)
                .withObservedGeneration(generation)
                .withLastTransitionTime(transition)
                .build();
        remove(conditions, type);
        conditions.add(condition);
    }

    public static void remove(List<Condition> conditions, String type) {
        conditions.removeIf(c -> type.equals(c.getType()));
    }
}
