package dev.pymode.operator.source;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Answers of remote servers (a git server's refs, a registry's digest for a tag), reused for a short while and
 * asked for once when many workers want the same answer at the same time: 100 workers on one branch make one
 * ls-remote per TTL, not 100. Failures are remembered for as long as answers, so 100 workers on an unreachable
 * server do not queue up behind one another's timeouts. Keys include a fingerprint of the credentials used, so one
 * worker's access never answers for another's. Bounded: the least recently used keys are dropped.
 */
public final class RecentAnswers<V> {

    /** A remote call that may fail the way sources fail. */
    @FunctionalInterface
    public interface Call<V> {
        V call() throws SourceFailure;
    }

    private record Entry<V>(V value, SourceFailure failure, Instant at) {
    }

    private final Clock clock;
    private final int maxEntries;
    private final Map<String, Entry<V>> entries;
    private final ConcurrentHashMap<String, ReentrantLock> inFlight = new ConcurrentHashMap<>();

    public RecentAnswers(Clock clock, int maxEntries) {
        this.clock = clock;
        this.maxEntries = maxEntries;
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Entry<V>> eldest) {
                return size() > RecentAnswers.this.maxEntries;
            }
        };
    }

    /** The answer for {@code key} if one younger than {@code maxAge} is known, else the call's (remembered). */
    public V get(String key, Duration maxAge, Call<V> call) throws SourceFailure {
        Entry<V> fresh = fresh(key, maxAge);
        if (fresh != null) {
            return answer(fresh);
        }
        ReentrantLock lock = inFlight.computeIfAbsent(key, k -> new ReentrantLock());
        lock.lock();
        try {
            fresh = fresh(key, maxAge); // another reconcile may have asked while this one waited
            if (fresh != null) {
                return answer(fresh);
            }
            Entry<V> entry;
            try {
                entry = new Entry<>(call.call(), null, clock.instant());
            } catch (SourceFailure failure) {
                entry = new Entry<>(null, failure, clock.instant());
            }
            synchronized (entries) {
                entries.put(key, entry);
            }
            return answer(entry);
        } finally {
            lock.unlock();
            if (!lock.hasQueuedThreads()) {
                inFlight.remove(key, lock);
            }
        }
    }

    private Entry<V> fresh(String key, Duration maxAge) {
        synchronized (entries) {
            Entry<V> entry = entries.get(key);
            return entry != null && entry.at().plus(maxAge).isAfter(clock.instant()) ? entry : null;
        }
    }

    private static <V> V answer(Entry<V> entry) throws SourceFailure {
        if (entry.failure() != null) {
            throw entry.failure();
        }
        return entry.value();
    }
}
