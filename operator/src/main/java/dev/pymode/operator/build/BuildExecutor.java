package dev.pymode.operator.build;

import java.util.List;

/**
 * Runs builder commands. In a cluster each build is a Kubernetes Job; where no kubelet runs (tests, the
 * embedded default) the same command runs as a local process. Both are driven through this interface, and
 * both identify a build only by its deterministic name, so a restarted operator finds what is running.
 */
public interface BuildExecutor {

    /** What is known of the build named in the request (absent if it never started or was deleted). */
    BuildObservation observe(BuildRequest request);

    /** Starts the build; does nothing if a build of that name already exists. */
    void start(BuildRequest request);

    /** Stops (if running) and removes a build. */
    void delete(String namespace, String buildName);

    /** Names of the builds that belong to the owner (matched by the owner label). */
    List<String> buildsOf(String namespace, String ownerKind, String ownerName);
}
