package dev.pymode.cloudflare;

import java.time.Duration;

/**
 * How often a retryable call is attempted and how long to wait in between: capped exponential backoff with
 * jitter ({@code delay = cap(base * 2^(n-1)) * (0.5 + jitter/2)}), so replicas that failed together do not
 * retry together.
 *
 * @param maxAttempts total attempts including the first (1 disables retries)
 * @param baseDelay   the delay before the second attempt, before jitter
 * @param maxDelay    the cap on any single delay
 */
public record RetryPolicy(int maxAttempts, Duration baseDelay, Duration maxDelay) {

    public static final RetryPolicy DEFAULT = new RetryPolicy(4, Duration.ofMillis(250), Duration.ofSeconds(4));

    public RetryPolicy {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be >= 1");
        }
        if (baseDelay.isNegative() || maxDelay.compareTo(baseDelay) < 0) {
            throw new IllegalArgumentException("need 0 <= baseDelay <= maxDelay");
        }
    }

    /**
     * @param failedAttempt the attempt that just failed, from 1
     * @param jitter        a value in [0, 1)
     */
    public Duration delayAfter(int failedAttempt, double jitter) {
        long capped = baseDelay.toMillis();
        for (int i = 1; i < failedAttempt && capped < maxDelay.toMillis(); i++) {
            capped *= 2;
        }
        capped = Math.min(capped, maxDelay.toMillis());
        return Duration.ofMillis((long) (capped * (0.5 + jitter / 2)));
    }
}
