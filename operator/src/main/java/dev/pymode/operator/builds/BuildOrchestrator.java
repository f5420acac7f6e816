package dev.pymode.operator.builds;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

import dev.pymode.operator.api.v1alpha1.common.ArtifactReference;
import dev.pymode.operator.api.v1alpha1.common.BuildProgress;
import dev.pymode.operator.config.PyModeConfig;
import dev.pymode.operator.events.EventRecorder;
import dev.pymode.operator.failure.Backoff;
import dev.pymode.operator.failure.FailureClassifier;
import dev.pymode.operator.metrics.OperatorMetrics;
import dev.pymode.operator.oci.OciRegistry;
import dev.pymode.operator.oci.RegistryUnavailableException;
import dev.pymode.operator.status.ConditionTypes;
import dev.pymode.operator.status.StageResult;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;

/**
 * The {@code Built} stage for any kind of artifact: if the registry has the artifact for the subject's key, use it
 * (cache hit); otherwise make sure exactly one build for that key runs, and on failure let
 * {@link FailureClassifier} decide: stall at once when the inputs are at fault (or a resource limit such as
 * memory or the deadline, which the same inputs hit again), retry transient causes with jittered backoff until
 * they pass, and unknown ones up to the attempt limit. A spec change retries at once. Builds for keys the
 * resource no longer asks for are cancelled. A build's end wakes the owner through the
 * executor's event source; the executor's recheck interval is only the safety net.
 */
public class BuildOrchestrator {

    /** Set by the builder on worker bundles: "made", "off" or "skipped: <why>" (builder-image/bundler/pymode_build.py). */
    static final String SNAPSHOT_ANNOTATION = "dev.pymode.snapshot";
    static final Duration REGISTRY_RETRY = Duration.ofSeconds(15);

    private final Optional<OciRegistry> registry;
    private final BuildExecutor executor;
    private final PyModeConfig config;
    private final EventRecorder events;
    private final Clock clock;
    private final OperatorMetrics metrics;
    private final SharedBuilds shared;

    public BuildOrchestrator(Optional<OciRegistry> registry, BuildExecutor executor, PyModeConfig config,
                             EventRecorder events, Clock clock, OperatorMetrics metrics) {
        this.metrics = metrics;
        this.shared = new SharedBuilds(executor, clock);
        this.registry = registry;
        this.executor = executor;
        this.config = config;
        this.events = events;
        this.clock = clock;
    }

    /** Why no build can run at all (no registry, no runtime), or empty when builds can run. */
    public Optional<StageResult> unavailable() {
        if (registry.isEmpty()) {
            return Optional.of(StageResult.terminalFailure(ConditionTypes.BUILT, "RegistryNotConfigured",
                    "no OCI registry is configured (pymode.registry.host); artifacts cannot be stored"));
        }
        if (config.runtime().ref().isEmpty()) {
            return Optional.of(StageResult.terminalFailure(ConditionTypes.BUILT, "RuntimeNotConfigured",
                    "no runtime artifact is configured (pymode.runtime.ref)"));
        }
        return Optional.empty();
    }

    /** The runtime artifact every build is made against (check {@link #unavailable()} first). */
    public String runtimeRef() {
        return config.runtime().ref().orElseThrow();
    }

    /** The registry the artifacts live in (check {@link #unavailable()} first). */
    public OciRegistry registry() {
        return registry.orElseThrow();
    }

    public StageResult run(BuildSubject subject) {
        HasMetadata resource = subject.resource();
        String buildName = buildName(resource, subject);
        cancelStaleBuilds(resource, subject, buildName);

        OciRegistry oci = registry.orElseThrow();
        Optional<OciRegistry.Artifact> artifact;
        try {
            artifact = oci.find(subject.repository(), subject.tag());
        } catch (RegistryUnavailableException e) {
            return StageResult.transientFailure(ConditionTypes.BUILT, "RegistryUnavailable", e.getMessage(),
                    REGISTRY_RETRY);
        }
        BuildProgress build = subject.progress() != null && subject.keyHash().equals(subject.progress().getKey())
                ? subject.progress() : null;
        if (artifact.isPresent()) {
            return useArtifact(subject, build, artifact.get(), oci.host());
        }
        // A spec change (new generation) tries again at once: no backoff wait, no stall carried over.
        boolean newSpec = build != null && build.getFailedGeneration() != null
                && !build.getFailedGeneration().equals(resource.getMetadata().getGeneration());
        if (build != null && build.getStalledReason() != null && !newSpec) {
            // no further attempt for these inputs: a new key (changed spec or source) starts over
            return StageResult.terminalFailure(ConditionTypes.BUILT, build.getStalledReason(), build.getStalledMessage());
        }

        BuildRequest request = new BuildRequest(resource.getMetadata().getNamespace(), buildName, owner(resource),
                BuildLabels.of(resource.getKind(), resource.getMetadata().getName(), subject.keyHash()),
                subject.subcommand(), subject.sourceFiles(),
                subject.arguments(oci.host() + "/" + subject.repository() + ":" + subject.tag()));
        BuildObservation observation = executor.observe(request);
        return switch (observation.phase()) {
            case RUNNING -> StageResult.progressing(ConditionTypes.BUILT, "Building",
                    "building " + subject.tag() + " (" + observation.detail() + ")", executor.recheck());
            case SUCCEEDED -> failed(subject, build, request, BuildObservation.failed(
                    "the build finished but the registry has no " + subject.repository() + ":" + subject.tag()));
            case FAILED -> failed(subject, build, request, observation);
            case ABSENT -> startOrWait(subject, newSpec ? null : build, request);
        };
    }

    private StageResult useArtifact(BuildSubject subject, BuildProgress build, OciRegistry.Artifact artifact,
                                    String host) {
        boolean built = build != null && build.getStartedAt() != null;
        ArtifactReference reference = new ArtifactReference();
        reference.setRef(artifact.reference(host));
        reference.setDigest(artifact.digest());
        reference.setBuildKey(subject.keyHash());
        reference.setSizeBytes(artifact.totalBytes());
        reference.setCacheHit(!built);
        // the builder's word on the snapshot (pymode_build.py SNAPSHOT_ANNOTATION); absent on other artifacts
        reference.setSnapshot(artifact.annotations().get(SNAPSHOT_ANNOTATION));
        if (built) {
            reference.setBuildSeconds(Duration.between(Instant.parse(build.getStartedAt()), clock.instant()).toSeconds());
        }
        ArtifactReference previous = subject.artifact();
        boolean changed = previous == null || !artifact.digest().equals(previous.getDigest());
        if (!changed && previous.getBuildSeconds() != null && !built) {
            // the same artifact seen again: keep how it was first obtained
            reference.setCacheHit(previous.getCacheHit());
            reference.setBuildSeconds(previous.getBuildSeconds());
        }
        subject.artifact(reference);
        subject.progress(null);
        if (build != null) {
            shared.release(subject.keyHash(), subject.resource().getMetadata().getNamespace(), build.getName());
        }
        String message = reference.getRef() + " (" + artifact.totalBytes() + " bytes)";
        if (changed) {
            events.normal(subject.resource(), built ? "BuildSucceeded" : "CacheHit", message);
            metrics.artifactFound(subject.resource().getKind(), !built);
            if (built) {
                metrics.buildFinished(subject.resource().getKind(), true,
                        Duration.between(Instant.parse(build.getStartedAt()), clock.instant()));
            }
        }
        return StageResult.succeeded(ConditionTypes.BUILT, Boolean.TRUE.equals(reference.getCacheHit())
                ? "CacheHit" : "Built", message);
    }

    private StageResult startOrWait(BuildSubject subject, BuildProgress build, BuildRequest request) {
        int failures = build == null ? 0 : build.getFailedAttempts();
        if (failures > 0 && build.getLastFailureTime() != null) {
            Instant retryAt = Instant.parse(build.getLastFailureTime()).plus(backoff(failures, request.name()));
            if (clock.instant().isBefore(retryAt)) {
                String reason = build.getLastFailureReason() != null ? build.getLastFailureReason()
                        : FailureClassifier.UNKNOWN_REASON;
                return StageResult.transientFailure(ConditionTypes.BUILT, reason, attempt(failures, reason)
                        + " failed" + (build.getLastFailureMessage() == null ? "" : ": " + build.getLastFailureMessage())
                        + "; retrying at " + retryAt, Duration.between(clock.instant(), retryAt));
            }
        }
        // Recorded as started yet absent: the build was deleted before it finished (by hand, or an evicted Job).
        // It starts again under the same name, with the same attempt count: nothing about the inputs failed.
        boolean vanished = build != null && build.getStartedAt() != null;
        // Whoever creates the build reports it; a concurrent reconcile that lost the race adopts it silently.
        SharedBuilds.Outcome outcome = shared.startUnlessRunningElsewhere(subject.keyHash(), request);
        if (outcome.runningElsewhere().isPresent()) {
            BuildRequest other = outcome.runningElsewhere().get();
            return StageResult.progressing(ConditionTypes.BUILT, "WaitingForSharedBuild", "build "
                    + other.namespace() + "/" + other.name() + " makes the same artifact (" + subject.tag()
                    + "); waiting for it instead of building it again", executor.recheck());
        }
        boolean created = outcome.created();
        BuildProgress started = new BuildProgress();
        started.setKey(subject.keyHash());
        started.setName(request.name());
        started.setFailedAttempts(failures);
        started.setStartedAt(now());
        started.setLastFailureTime(build == null ? null : build.getLastFailureTime());
        subject.progress(started);
        if (created && vanished) {
            events.warning(subject.resource(), "BuildRestarted", "build " + request.name()
                    + " disappeared before it finished; started it again (not counted as a failed attempt)");
        } else if (created) {
            events.normal(subject.resource(), "BuildStarted", "build " + request.name() + " for " + subject.tag()
                    + (failures > 0 ? " (attempt " + (failures + 1) + ")" : ""));
        }
        return StageResult.progressing(ConditionTypes.BUILT, "Building", (vanished ? "restarted build " : "started build ")
                + request.name(), executor.recheck());
    }

    private StageResult failed(BuildSubject subject, BuildProgress build, BuildRequest request,
                               BuildObservation observation) {
        int failures = (build == null ? 0 : build.getFailedAttempts()) + 1;
        if (build != null && build.getStartedAt() != null) {
            metrics.buildFinished(subject.resource().getKind(), false,
                    Duration.between(Instant.parse(build.getStartedAt()), clock.instant()));
        }
        BuildProgress failed = new BuildProgress();
        failed.setKey(subject.keyHash());
        failed.setName(request.name());
        failed.setFailedAttempts(failures);
        failed.setLastFailureTime(now());
        failed.setFailedGeneration(subject.resource().getMetadata().getGeneration());
        subject.progress(failed);
        shared.release(subject.keyHash(), request.namespace(), request.name());
        // Remove the finished build so the next attempt can start under the same deterministic name.
        executor.delete(request.namespace(), request.name());
        String log = observation.detail();
        BuildObservation.Failure known = observation.failure();
        if (known.kind() == BuildObservation.FailureKind.NEEDS_RECIPES) {
            // The same inputs ask again: stalled for this key. What happens next is the owner's call (a worker builds
            // the recipes and asks again with a new key, or shows the request as an input error).
            subject.recipesNeeded(known.recipes());
            return stall(failed, known.reason(), known.summary());
        }
        if (known.kind() != BuildObservation.FailureKind.BUILD_ERROR) {
            // The executor knows the cause (a limit hit, a spec value the builder refused by its exit code): the same
            // inputs fail the same way, so stall at once. The condition gets the one line naming the limit or the
            // input; the builder's output goes into the Event.
            events.warning(subject.resource(), known.reason(), known.summary() + (log.isBlank() ? "" : "\n" + log));
            return stall(failed, known.reason(), known.summary());
        }
        // The condition carries one line naming the cause; the builder's log goes into the Event (first line kept,
        // then as much of the log's end as the Event takes).
        FailureClassifier.Failure failure = FailureClassifier.ofBuildLog(log);
        failed.setLastFailureReason(failure.reason());
        failed.setLastFailureMessage(failure.line());
        events.warning(subject.resource(), failure.reason(), failure.line() + "\n" + log);
        if (failure.terminal()) {
            return stall(failed, failure.reason(), failure.line()
                    + " (a deterministic failure: not retried; change the spec or source to build again)");
        }
        String message = attempt(failures, failure.reason()) + " failed: " + failure.line();
        if (!failure.transientFailure() && failures >= config.builder().maxAttempts()) {
            return stall(failed, failure.reason(), message
                    + " (no more retries for these inputs: change the spec or source to try again)");
        }
        return StageResult.transientFailure(ConditionTypes.BUILT, failure.reason(), message,
                backoff(failures, request.name()));
    }

    /** "attempt 2 of 4" for unrecognised failures, retried a bounded number of times; transient ones until they pass. */
    private String attempt(int failures, String reason) {
        return FailureClassifier.UNKNOWN_REASON.equals(reason)
                ? "attempt " + failures + " of " + config.builder().maxAttempts() : "attempt " + failures;
    }

    /** Records that no further attempt is made for this key, so later reconciles report it without starting one. */
    private static StageResult stall(BuildProgress failed, String reason, String message) {
        failed.setStalledReason(reason);
        failed.setStalledMessage(message);
        return StageResult.terminalFailure(ConditionTypes.BUILT, reason, message);
    }

    Duration backoff(int failures, String buildName) {
        return Backoff.after(config.builder().retryBaseDelay(), failures, buildName);
    }

    /**
     * Cancels the resource's builds of this subject's kind (the same name marker) that are not the current one. A
     * resource with builds of several kinds (a worker's bundle and the catalogue recipes it attaches) keeps the
     * others; a subject that does not cancel (recipes, several of which may build at once) leaves them to finish.
     */
    private void cancelStaleBuilds(HasMetadata resource, BuildSubject subject, String currentBuild) {
        if (!subject.cancelsStaleBuilds()) {
            return;
        }
        String namespace = resource.getMetadata().getNamespace();
        String scope = currentBuild.substring(0, currentBuild.length() - 12);
        for (String name : executor.buildsOf(namespace, resource.getKind(), resource.getMetadata().getName())) {
            if (!name.equals(currentBuild) && name.startsWith(scope)) {
                executor.delete(namespace, name);
                events.normal(resource, "BuildCancelled", "build " + name + " is for inputs the spec no longer has");
            }
        }
    }

    /** Deterministic and unique per resource kind, name and key, within the 63 characters of a Job name. */
    static String buildName(HasMetadata resource, BuildSubject subject) {
        String name = resource.getMetadata().getName();
        String prefix = name.length() > 40 ? name.substring(0, 40) : name;
        return (prefix + "-" + subject.buildNameMarker() + "-" + subject.keyHash().substring(0, 12)).replace('.', '-');
    }

    private static OwnerReference owner(HasMetadata resource) {
        return new OwnerReferenceBuilder().withApiVersion(resource.getApiVersion()).withKind(resource.getKind())
                .withName(resource.getMetadata().getName()).withUid(resource.getMetadata().getUid())
                .withController(true).withBlockOwnerDeletion(true).build();
    }

    private String now() {
        return Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString();
    }
}
