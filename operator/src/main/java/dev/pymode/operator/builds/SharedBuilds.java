package dev.pymode.operator.builds;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import io.javaoperatorsdk.operator.processing.event.ResourceID;

/**
 * One build per build key at a time, whichever resources need it (issue #18): a fleet of workers sharing a source
 * starts one build, not one per worker, and the others wait for its artifact. Without this, every one of them built
 * the same key at once, each pushing its own artifact to the same tag, and the tag's last push later changed the
 * artifact of all the others (a second deploy wave).
 *
 * <p>Only builds this operator started are known here; after a restart a key may be built twice once. A build that
 * is no longer running (finished, failed or deleted) frees its key for the next resource that asks. The waiters are
 * woken when it ends, like its owner (the executor's completion events), and find its artifact.
 */
final class SharedBuilds {

    /** How long a "still running" answer for a key is believed before the executor is asked again. */
    private static final Duration OBSERVATION_TTL = Duration.ofSeconds(1);

    private record Claim(BuildRequest request, Instant seenRunningAt) {
    }

    /**
     * @param runningElsewhere another resource's running build of the key (nothing was started then)
     * @param created          whether the start created the build (false: it existed already)
     */
    record Outcome(Optional<BuildRequest> runningElsewhere, boolean created) {
    }

    private final BuildExecutor executor;
    private final Clock clock;
    private final Map<String, Claim> byKey = new HashMap<>();

    SharedBuilds(BuildExecutor executor, Clock clock) {
        this.executor = executor;
        this.clock = clock;
    }

    /**
     * Finds another resource's build of this key that is still running; if there is none, claims the key for
     * {@code request} and starts it. Holding the lock across the check and the start keeps two reconciles of
     * different resources from both starting.
     */
    synchronized Outcome startUnlessRunningElsewhere(String key, BuildRequest request) {
        Claim claim = byKey.get(key);
        if (claim != null && !sameBuild(claim.request(), request)) {
            Instant now = clock.instant();
            if (now.isBefore(claim.seenRunningAt().plus(OBSERVATION_TTL))) {
                return waitFor(claim.request(), request);
            }
            if (executor.observe(claim.request()).phase() == BuildObservation.Phase.RUNNING) {
                byKey.put(key, new Claim(claim.request(), now));
                return waitFor(claim.request(), request);
            }
        }
        boolean created = executor.start(request);
        byKey.put(key, new Claim(request, clock.instant()));
        return new Outcome(Optional.empty(), created);
    }

    /** The waiter is reconciled when the running build ends, as its own owner is. */
    private Outcome waitFor(BuildRequest running, BuildRequest waiter) {
        executor.wakeWhenFinished(running, new ResourceID(waiter.labels().get(BuildLabels.OWNER_NAME),
                waiter.namespace()));
        return new Outcome(Optional.of(running), false);
    }

    /** The owner saw its build's result: the key is free. */
    synchronized void release(String key, String namespace, String name) {
        Claim claim = byKey.get(key);
        if (claim != null && claim.request().namespace().equals(namespace) && claim.request().name().equals(name)) {
            byKey.remove(key);
        }
    }

    private static boolean sameBuild(BuildRequest a, BuildRequest b) {
        return a.namespace().equals(b.namespace()) && a.name().equals(b.name());
    }
}
