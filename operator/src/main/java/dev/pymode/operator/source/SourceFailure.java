package dev.pymode.operator.source;

/**
 * Why a source could not be resolved, with the condition reason it is reported under. Messages name the
 * source (URL and ref, or artifact reference) and never carry a credential.
 */
public final class SourceFailure extends Exception {

    /** How the SourceReady stage treats the failure. */
    public enum Kind {
        /** The source as specified cannot work (unknown ref, bad path, too large): Stalled until something changes. */
        TERMINAL,
        /** The server could not be reached or answered with an error: Reconciling, retried with backoff. */
        TRANSIENT,
        /** Something referenced does not exist yet (a Secret applied after the worker): Reconciling, re-checked. */
        WAITING
    }

    private final Kind kind;
    private final String reason;

    private SourceFailure(Kind kind, String reason, String message, Throwable cause) {
        super(message, cause, false, false);
        this.kind = kind;
        this.reason = reason;
    }

    public static SourceFailure terminal(String reason, String message) {
        return new SourceFailure(Kind.TERMINAL, reason, message, null);
    }

    public static SourceFailure unavailable(String reason, String message, Throwable cause) {
        return new SourceFailure(Kind.TRANSIENT, reason, message, cause);
    }

    public static SourceFailure waiting(String reason, String message) {
        return new SourceFailure(Kind.WAITING, reason, message, null);
    }

    public Kind kind() {
        return kind;
    }

    public String reason() {
        return reason;
    }
}
