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
        Bucket bucket = bucket(account);
        synchronized (bucket) {
            Instant now = clock.instant();
            if (bucket.blockedUntil != null && now.isBefore(bucket.blockedUntil)) {
                throw new RateLimitedException(call, account, bucket.blockedUntil, "Cloudflare answered 429 earlier");
            }
            bucket.refill(now);
            if (bucket.tokens >= 1) {
                bucket.tokens -= 1;
                return Duration.ZERO;
            }
            double seconds = (1 - bucket.tokens) / permitsPerSecond;
            return Duration.ofNanos((long) Math.ceil(seconds * 1e9));
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
}
