package dev.pymode.operator.builds;

import java.time.Duration;
import java.util.List;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;

/**
 * Runs builder commands. In a cluster each build is a Kubernetes Job; where no kubelet runs (tests, the
 * embedded default) the same command runs as a local process. Both are driven through this interface, and
 * both identify a build only by its deterministic name, so a restarted operator finds what is running.
 */
public interface BuildExecutor {

    /** What is known of the build named in the request (absent if it never started or was deleted). */
    BuildObservation observe(BuildRequest request);

    /**
     * Starts the build; does nothing if a build of that name already exists.
     *
     * @return whether this call started it (false: it existed, or a concurrent start won)
     */
    boolean start(BuildRequest request);

    /** Stops (if running) and removes a build. */
    void delete(String namespace, String buildName);

    /** Names of the builds that belong to the owner (matched by the owner label). */
    List<String> buildsOf(String namespace, String ownerKind, String ownerName);

    /**
     * An event source for the reconciler of {@code ownerType}: it reconciles an owner as soon as one of its builds
     * finishes, or disappears before finishing, so the result is picked up at once instead of at the next
     * {@link #recheck()}.
     */
    <P extends HasMetadata> EventSource<?, P> completions(Class<P> ownerType, EventSourceContext<P> context);

    /**
     * Has {@link #completions} also reconcile {@code waiter}, an owner of the same kind that waits for this build's
     * artifact instead of building it again (the same build key), when the build finishes.
     */
    void wakeWhenFinished(BuildRequest running, ResourceID waiter);

    /** How long a running build is left before it is looked at again when nothing woke its owner sooner. */
    Duration recheck();
}
