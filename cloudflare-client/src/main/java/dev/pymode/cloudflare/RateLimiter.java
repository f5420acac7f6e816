package dev.pymode.cloudflare;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Per-account request budget, shared by every {@link CloudflareClient} that talks to the same account.
 *
 * <p>Two mechanisms: a token bucket that keeps us under Cloudflare's 1200 requests / 5 minutes, and a block
 * recorded from a 429's {@code Retry-After}. Cloudflare blocks <em>all</em> calls of a token for five minutes
 * after a 429, so once blocked every further call fails fast with {@link RateLimitedException} instead of
 * earning another 429.
 */
public final class RateLimiter {

    /** What Cloudflare blocks for after a 429 that carries no Retry-After. */
    public static final Duration DEFAULT_BLOCK = Duration.ofMinutes(5);

    private final Clock clock;
    private final double capacity;
    private final double permitsPerSecond;
    private final ConcurrentMap<String, Bucket> accounts = new ConcurrentHashMap<>();
    /** Below this share of the burst, permits are rationed among tenants. */
    private static final double RESERVE = 0.25;

    public RateLimiter(Clock clock, int capacity, double permitsPerSecond) {
        if (capacity < 1 || permitsPerSecond <= 0) {
            throw new IllegalArgumentException("capacity must be >= 1 and permitsPerSecond > 0");
        }
        this.clock = clock;
        this.capacity = capacity;
        this.permitsPerSecond = permitsPerSecond;
    }

    /**
     * Burst of 200 plus 1000 per 5 minutes: in any 5-minute window at most 200 + 1000 = 1200 requests leave,
     * which is Cloudflare's limit even when the bucket starts full.
     */
    public static RateLimiter cloudflareDefaults(Clock clock) {
        return new RateLimiter(clock, 200, 1000.0 / 300.0);
    }

    public Clock clock() {
        return clock;
    }

    /**
     * Takes one permit for the account, or answers how long until one is available (nothing taken then).
     *
     * @throws RateLimitedException when the account is blocked by an earlier 429
     */
    public Duration tryAcquire(String call, String account) {
        return tryAcquire(call, account, null);
    }

    /**
     * As {@link #tryAcquire(String, String)}, on behalf of a tenant (the operator passes the resource's namespace).
     * While permits are plentiful everyone gets one. When fewer than a quarter of the burst are left, a tenant
     * that has recently taken more than its fair share (an even split among the tenants active in the last minutes,
     * with 25% slack) waits until the reserve has grown back, and the reserve goes to the others: one namespace
     * that changes hundreds of workers at once cannot starve the rest. Calls without a tenant (work shared by all,
     * such as the account listings) are never held back by this rule.
     */
    public Duration tryAcquire(String call, String account, String tenant) {
        return tryAcquire(call, account, tenant, 1);
    }

    /**
     * Takes {@code permits} at once, all or none, under the same rules: for a sequence of calls that should not be
     * refused half-way (a deploy: upload, deployment, tags, workers.dev; a verification), since a sequence stopped
     * in the middle is tried again from its start. Unused permits go back with {@link #giveBack}.
     */
    public Duration tryAcquire(String call, String account, String tenant, int permits) {
        if (permits < 1 || permits > capacity) {
            throw new IllegalArgumentException("permits must be between 1 and the burst (" + capacity + "): " + permits);
        }
        Bucket bucket = bucket(account);
        synchronized (bucket) {
            Instant now = clock.instant();
            if (bucket.blockedUntil != null && now.isBefore(bucket.blockedUntil)) {
                throw new RateLimitedException(call, account, bucket.blockedUntil, "Cloudflare answered 429 earlier");
            }
            bucket.refill(now);
            if (bucket.tokens < permits) {
                double seconds = (permits - bucket.tokens) / permitsPerSecond;
                return Duration.ofNanos((long) Math.ceil(seconds * 1e9));
            }
            double reserve = capacity * RESERVE;
            if (tenant != null && bucket.tokens - (permits - 1) < reserve && bucket.usage.overShare(tenant, now)) {
                double seconds = (reserve + (permits - 1) - bucket.tokens) / permitsPerSecond;
                return Duration.ofNanos((long) Math.ceil(seconds * 1e9));
            }
            bucket.tokens -= permits;
            if (tenant != null) {
                bucket.usage.took(tenant, now, permits);
            }
            return Duration.ZERO;
        }
    }

    /** Returns permits taken ahead and not spent (the bucket never holds more than its burst). */
    public void giveBack(String account, int permits) {
        Bucket bucket = bucket(account);
        synchronized (bucket) {
            bucket.tokens = Math.min(capacity, bucket.tokens + permits);
        }
    }

    /** Blocks the account until {@code until} (a later block wins over an earlier one). */
    public void block(String account, Instant until) {
        Bucket bucket = bucket(account);
        synchronized (bucket) {
            if (bucket.blockedUntil == null || until.isAfter(bucket.blockedUntil)) {
                bucket.blockedUntil = until;
            }
        }
    }

    /** The instant the account's 429 block ends, if it is blocked now. */
    public Optional<Instant> blockedUntil(String account) {
        Bucket bucket = bucket(account);
        synchronized (bucket) {
            Instant until = bucket.blockedUntil;
            return until != null && clock.instant().isBefore(until) ? Optional.of(until) : Optional.empty();
        }
    }

    private Bucket bucket(String account) {
        return accounts.computeIfAbsent(account, a -> new Bucket(capacity, clock.instant()));
    }

    private final class Bucket {
        double tokens;
        Instant refilledAt;
        Instant blockedUntil;
        final TenantUsage usage = new TenantUsage();

        Bucket(double tokens, Instant now) {
            this.tokens = tokens;
            this.refilledAt = now;
        }

        void refill(Instant now) {
            if (now.isAfter(refilledAt)) {
                double elapsed = Duration.between(refilledAt, now).toNanos() / 1e9;
                tokens = Math.min(capacity, tokens + elapsed * permitsPerSecond);
                refilledAt = now;
            }
        }
    }

    /**
     * Permits taken per tenant, decaying with a one-minute time constant: recent use counts, old use fades, and
     * a tenant idle for a few minutes no longer counts as active.
     */
    private static final class TenantUsage {
        private static final double TAU_SECONDS = 60;
        private static final double ACTIVE = 0.5;
        private static final double SLACK = 1.25;
        private final java.util.Map<String, Double> usage = new java.util.HashMap<>();
        private Instant decayedAt = Instant.MIN;

        void took(String tenant, Instant now, int permits) {
            decay(now);
            usage.merge(tenant, (double) permits, Double::sum);
        }

        boolean overShare(String tenant, Instant now) {
            decay(now);
            long active = usage.values().stream().filter(u -> u >= ACTIVE).count();
            if (active < 2) {
                return false;
            }
            double total = usage.values().stream().mapToDouble(Double::doubleValue).sum();
            return usage.getOrDefault(tenant, 0.0) > SLACK * total / active;
        }

        private void decay(Instant now) {
            if (decayedAt.equals(Instant.MIN)) {
                decayedAt = now;
                return;
            }
            if (!now.isAfter(decayedAt)) {
                return;
            }
            double factor = Math.exp(-Duration.between(decayedAt, now).toNanos() / 1e9 / TAU_SECONDS);
            usage.replaceAll((t, u) -> u * factor);
            usage.values().removeIf(u -> u < 0.01);
            decayedAt = now;
        }
    }
}
