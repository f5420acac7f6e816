package dev.pymode.operator.failure;

import java.time.Duration;
import java.util.SplittableRandom;

/**
 * Retry delays for transient failures: exponential in the number of failures, capped, with up to 25% jitter
 * added so that resources failing together (one registry outage, one Cloudflare 5xx storm) do not retry in
 * lockstep. The jitter is drawn from a seed (the resource's build or script name and the failure count): it
 * differs between resources but is the same on every reconcile of one, so a wait computed again later ends at
 * the same time.
 */
public final class Backoff {

    /** Longest wait between retries of a transient failure. */
    public static final Duration CAP = Duration.ofMinutes(10);

    private Backoff() {
    }

    /** The delay after the {@code failures}-th failure in a row (1 = first): base · 2^(failures−1), capped, jittered. */
    public static Duration after(Duration base, int failures, String seed) {
        Duration plain = base.multipliedBy(1L << Math.min(Math.max(failures - 1, 0), 20));
        return jitter(plain.compareTo(CAP) > 0 ? CAP : plain, seed.hashCode() * 31L + failures);
    }

    /**
     * A delay for a failure whose count is not kept: as long as it has been failing (so successive waits about
     * double), at least {@code base}, capped, jittered.
     */
    public static Duration whileFailingFor(Duration base, Duration failingFor, String seed) {
        Duration plain = failingFor.compareTo(base) < 0 ? base : failingFor;
        return jitter(plain.compareTo(CAP) > 0 ? CAP : plain, seed.hashCode() * 31L + plain.toSeconds());
    }

    static Duration jitter(Duration delay, long seed) {
        long millis = delay.toMillis();
        return Duration.ofMillis(millis + (long) (millis * 0.25 * new SplittableRandom(seed).nextDouble()));
    }
}
