package dev.pymode.operator.status;

import java.time.Duration;
import java.util.Optional;

/**
 * The outcome of one pipeline stage, recorded as the stage's condition.
 *
 * @param conditionType the stage condition, e.g. {@code SourceReady}
 * @param outcome       where the stage stands
 * @param reason        CamelCase reason naming what happened
 * @param message       human explanation
 * @param retryAfter    when to look again (progressing or transient failure)
 */
public record StageResult(String conditionType, Outcome outcome, String reason, String message,
                          Optional<Duration> retryAfter) {

    /** Where a stage stands. */
    public enum Outcome {
        /** Done for this generation. */
        SUCCEEDED,
        /** Work is under way or waiting on something expected to come. */
        PROGRESSING,
        /** Failed; retrying may help (network, registry, API limits). */
        FAILED_TRANSIENT,
        /** Failed; only a change to the resource (or what it references) can help. */
        FAILED_TERMINAL
    }

    public static StageResult succeeded(String type, String reason, String message) {
        return new StageResult(type, Outcome.SUCCEEDED, reason, message, Optional.empty());
    }

    public static StageResult progressing(String type, String reason, String message, Duration retryAfter) {
        return new StageResult(type, Outcome.PROGRESSING, reason, message, Optional.of(retryAfter));
    }

    public static StageResult transientFailure(String type, String reason, String message, Duration retryAfter) {
        return new StageResult(type, Outcome.FAILED_TRANSIENT, reason, message, Optional.of(retryAfter));
    }

    public static StageResult terminalFailure(String type, String reason, String message) {
        return new StageResult(type, Outcome.FAILED_TERMINAL, reason, message, Optional.empty());
    }

    public boolean succeeded() {
        return outcome == Outcome.SUCCEEDED;
    }
}
