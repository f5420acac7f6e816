package dev.pymode.cloudflare;

import java.time.Instant;

/**
 * Calls for an account are blocked until {@link #retryAt()}: Cloudflare answered 429 (and then blocks the token
 * for minutes), or the client-side budget is spent. Raised instead of sleeping so a reconcile thread is never
 * parked for minutes; the operator requeues at {@code retryAt}.
 */
public class RateLimitedException extends CloudflareException {

    private final String account;
    private final Instant retryAt;

    public RateLimitedException(String call, String account, Instant retryAt, String why) {
        super(call, why + "; calls for account " + account + " are blocked until " + retryAt, null);
        this.account = account;
        this.retryAt = retryAt;
    }

    public String account() {
        return account;
    }

    public Instant retryAt() {
        return retryAt;
    }
}
