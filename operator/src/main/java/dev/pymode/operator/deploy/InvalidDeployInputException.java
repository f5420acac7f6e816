package dev.pymode.operator.deploy;

/**
 * The worker's bundle or spec cannot be deployed as it is (a bundle whose static assets disagree with its
 * bundle.json, a binding name the bundle reserves): retrying the same inputs cannot help, so the {@code Deployed}
 * stage fails terminally with {@link #reason()} until a new build or a spec change.
 */
public class InvalidDeployInputException extends RuntimeException {

    private final String reason;

    public InvalidDeployInputException(String reason, String message) {
        super(message);
        this.reason = reason;
    }

    /** The condition reason (CamelCase). */
    public String reason() {
        return reason;
    }
}
