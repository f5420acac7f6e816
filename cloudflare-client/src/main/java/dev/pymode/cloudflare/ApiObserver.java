package dev.pymode.cloudflare;

import java.time.Duration;

/**
 * What the client tells about its calls, for metrics (the operator counts them per operation and status). Calls
 * are named by their template ({@code GET workers/scripts/{script}/settings}), never by account, script or
 * token, so the names stay few. Implementations must be quick and must not throw.
 */
public interface ApiObserver {

    /** Observes nothing. */
    ApiObserver NONE = new ApiObserver() {
    };

    /**
     * One HTTP exchange (every attempt of a retried call counts).
     *
     * @param status the HTTP status, or 0 when no answer came (I/O error)
     */
    default void exchanged(String call, int status, Duration took) {
    }

    /** The time a call waited for a permit of the client-side request budget (only waits longer than zero). */
    default void waitedForPermit(String call, Duration waited) {
    }

    /**
     * A call not sent because of the budget: {@code blocked} after a 429 (Cloudflare locks the token out), or
     * {@code budget} when the client-side limiter would have made it wait too long.
     */
    default void refused(String call, String reason) {
    }
}
