package dev.pymode.operator.build;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import dev.pymode.operator.api.v1alpha1.common.ArtifactReference;
import dev.pymode.operator.api.v1alpha1.common.LocalObjectReference;
import dev.pymode.operator.api.v1alpha1.extension.PyModeExtension;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorker;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorkerStatus;
import dev.pymode.operator.api.v1alpha1.worker.WorkerBuildStatus;
import dev.pymode.operator.config.PyModeConfig;
import dev.pymode.operator.events.EventRecorder;
import dev.pymode.operator.oci.OciRegistry;
import dev.pymode.operator.oci.RegistryUnavailableException;
import dev.pymode.operator.source.ProjectSource;
import dev.pymode.operator.status.ConditionTypes;
import dev.pymode.operator.status.StageResult;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * The {@code Built} stage: compute the build key; if the registry has the bundle, use it (cache hit);
 * otherwise make sure exactly one build for that key runs, retry failures with exponential backoff, and cancel
 * builds for keys the spec no longer asks for.
 */
public class WorkerBuildStage {

    static final Duration POLL = Duration.ofSeconds(5);
    static final Duration REGISTRY_RETRY = Duration.ofSeconds(15);
    private static final int MAX_MESSAGE = 2000;

    private final Optional<OciRegistry> registry;
    private final BuildExecutor executor;
    private final KubernetesClient client;
    private final PyModeConfig config;
    private final String toolchain;
    private final EventRecorder events;
    private final Clock clock;

    public WorkerBuildStage(Optional<OciRegistry> registry, BuildExecutor executor, KubernetesClient client,
                            PyModeConfig config, String toolchain, EventRecorder events, Clock clock) {
        this.registry = registry;
        this.executor = executor;
        this.client = client;
        this.config = config;
        this.toolchain = toolchain;
        this.events = events;
        this.clock = clock;
    }

    public StageResult run(PyModeWorker worker, ProjectSource source, String entry, PyModeWorkerStatus status) {
        if (registry.isEmpty()) {
            return StageResult.terminalFailure(ConditionTypes.BUILT, "RegistryNotConfigured",
                    "no OCI registry is configured (pymode.registry.host); bundles cannot be stored");
        }
        Optional<String> runtime = config.runtime().ref();
        if (runtime.isEmpty()) {
            return StageResult.terminalFailure(ConditionTypes.BUILT, "RuntimeNotConfigured",
                    "no runtime artifact is configured (pymode.runtime.ref)");
        }
        ExtensionDigests extensions = extensionDigests(worker);
        if (extensions.waiting() != null) {
            return extensions.waiting();
        }
        var spec = worker.getSpec();
        String compatibilityDate = spec.getCloudflare() == null ? null : spec.getCloudflare().getCompatibilityDate();
        BuildKey key = new BuildKey(source.digest(), entry, List.copyOf(spec.getPackages()), extensions.digests(),
                runtime.get(), Boolean.TRUE.equals(spec.getWizer()), compatibilityDate, toolchain);
        String buildName = buildName(worker, key);
        cancelStaleBuilds(worker, buildName);

        OciRegistry oci = registry.get();
        String repository = config.registry().bundleRepository();
        Optional<OciRegistry.Artifact> artifact;
        try {
            artifact = oci.find(repository, key.tag());
        } catch (RegistryUnavailableException e) {
            return StageResult.transientFailure(ConditionTypes.BUILT, "RegistryUnavailable", e.getMessage(),
                    REGISTRY_RETRY);
        }
        WorkerBuildStatus build = status.getBuild() != null && key.hash().equals(status.getBuild().getKey())
                ? status.getBuild() : null;
        if (artifact.isPresent()) {
            return useArtifact(worker, status, key, build, artifact.get(), oci.host());
        }

        BuildRequest request = new BuildRequest(worker.getMetadata().getNamespace(), buildName, owner(worker),
                BuildLabels.of(worker.getKind(), worker.getMetadata().getName(), key.hash()), source.files(),
                BuilderCommand.workerArguments(key, oci.host() + "/" + repository + ":" + key.tag(),
                        source.revision()));
        BuildObservation observation = executor.observe(request);
        return switch (observation.phase()) {
            case RUNNING -> StageResult.progressing(ConditionTypes.BUILT, "Building",
                    "building " + key.tag() + " (" + observation.detail() + ")", POLL);
            case SUCCEEDED -> failed(worker, status, key, build, request,
                    "the build finished but the registry has no " + repository + ":" + key.tag());
            case FAILED -> failed(worker, status, key, build, request, observation.detail());
            case ABSENT -> startOrWait(worker, status, key, build, request);
        };
    }

    private StageResult useArtifact(PyModeWorker worker, PyModeWorkerStatus status, BuildKey key,
                                    WorkerBuildStatus build, OciRegistry.Artifact artifact, String host) {
        boolean built = build != null && build.getStartedAt() != null;
        ArtifactReference reference = new ArtifactReference();
        reference.setRef(artifact.reference(host));
        reference.setDigest(artifact.digest());
        reference.setBuildKey(key.hash());
        reference.setSizeBytes(artifact.totalBytes());
        reference.setCacheHit(!built);
        if (built) {
            reference.setBuildSeconds(Duration.between(Instant.parse(build.getStartedAt()), clock.instant()).toSeconds());
        }
        ArtifactReference previous = status.getArtifact();
        boolean changed = previous == null || !artifact.digest().equals(previous.getDigest());
        if (!changed && previous.getBuildSeconds() != null && !built) {
            // the same artifact seen again: keep how it was first obtained
            reference.setCacheHit(previous.getCacheHit());
            reference.setBuildSeconds(previous.getBuildSeconds());
        }
        status.setArtifact(reference);
        status.setBuild(null);
        String message = reference.getRef() + " (" + artifact.totalBytes() + " bytes)";
        if (changed) {
            events.normal(worker, built ? "BuildSucceeded" : "CacheHit", message);
        }
        return StageResult.succeeded(ConditionTypes.BUILT, Boolean.TRUE.equals(reference.getCacheHit())
                ? "CacheHit" : "Built", message);
    }

    private StageResult startOrWait(PyModeWorker worker, PyModeWorkerStatus status, BuildKey key,
                                    WorkerBuildStatus build, BuildRequest request) {
        int failures = build == null ? 0 : build.getFailedAttempts();
        if (failures > 0 && build.getLastFailureTime() != null) {
            Instant retryAt = Instant.parse(build.getLastFailureTime()).plus(backoff(failures));
            if (clock.instant().isBefore(retryAt)) {
                return StageResult.transientFailure(ConditionTypes.BUILT, "BuildFailed", "attempt " + failures + " of "
                        + config.builder().maxAttempts() + " failed; retrying at " + retryAt,
                        Duration.between(clock.instant(), retryAt));
            }
        }
        executor.start(request);
        WorkerBuildStatus started = new WorkerBuildStatus();
        started.setKey(key.hash());
        started.setName(request.name());
        started.setFailedAttempts(failures);
        started.setStartedAt(now());
        started.setLastFailureTime(build == null ? null : build.getLastFailureTime());
        status.setBuild(started);
        events.normal(worker, "BuildStarted", "build " + request.name() + " for " + key.tag()
                + (failures > 0 ? " (attempt " + (failures + 1) + ")" : ""));
        return StageResult.progressing(ConditionTypes.BUILT, "Building", "started build " + request.name(), POLL);
    }

    private StageResult failed(PyModeWorker worker, PyModeWorkerStatus status, BuildKey key, WorkerBuildStatus build,
                               BuildRequest request, String detail) {
        int failures = (build == null ? 0 : build.getFailedAttempts()) + 1;
        WorkerBuildStatus failed = new WorkerBuildStatus();
        failed.setKey(key.hash());
        failed.setName(request.name());
        failed.setFailedAttempts(failures);
        failed.setLastFailureTime(now());
        status.setBuild(failed);
        // Remove the finished build so the next attempt can start under the same deterministic name.
        executor.delete(request.namespace(), request.name());
        String tail = detail.length() > MAX_MESSAGE ? "…" + detail.substring(detail.length() - MAX_MESSAGE) : detail;
        String message = "attempt " + failures + " of " + config.builder().maxAttempts() + " failed:\n" + tail;
        events.warning(worker, "BuildFailed", message);
        if (failures >= config.builder().maxAttempts()) {
            return StageResult.terminalFailure(ConditionTypes.BUILT, "BuildFailed", message
                    + "\n(no more retries for these inputs: change the spec or source to try again)");
        }
        return StageResult.transientFailure(ConditionTypes.BUILT, "BuildFailed", message, backoff(failures));
    }

    Duration backoff(int failures) {
        return config.builder().retryBaseDelay().multipliedBy(1L << Math.min(failures - 1, 10));
    }

    private void cancelStaleBuilds(PyModeWorker worker, String currentBuild) {
        String namespace = worker.getMetadata().getNamespace();
        for (String name : executor.buildsOf(namespace, worker.getKind(), worker.getMetadata().getName())) {
            if (!name.equals(currentBuild)) {
                executor.delete(namespace, name);
                events.normal(worker, "BuildCancelled", "build " + name + " is for inputs the spec no longer has");
            }
        }
    }

    /** Extension side modules the worker lists, by artifact digest; waits until each is built. */
    private ExtensionDigests extensionDigests(PyModeWorker worker) {
        Map<String, String> digests = new TreeMap<>();
        String namespace = worker.getMetadata().getNamespace();
        for (LocalObjectReference ref : worker.getSpec().getExtensions()) {
            PyModeExtension extension = client.resources(PyModeExtension.class).inNamespace(namespace)
                    .withName(ref.getName()).get();
            if (extension == null) {
                return new ExtensionDigests(null, StageResult.progressing(ConditionTypes.BUILT, "ExtensionNotFound",
                        "waiting for PyModeExtension " + namespace + "/" + ref.getName(), Duration.ofSeconds(30)));
            }
            if (extension.getStatus() == null || extension.getStatus().getArtifact() == null) {
                return new ExtensionDigests(null, StageResult.progressing(ConditionTypes.BUILT, "ExtensionNotBuilt",
                        "waiting for PyModeExtension " + namespace + "/" + ref.getName() + " to be built",
                        Duration.ofSeconds(30)));
            }
            digests.put(ref.getName(), extension.getStatus().getArtifact().getDigest());
        }
        return new ExtensionDigests(digests, null);
    }

    private record ExtensionDigests(Map<String, String> digests, StageResult waiting) {
    }

    /** Deterministic and unique per worker and key, within the 63 characters of a Job name (and its pod label). */
    static String buildName(PyModeWorker worker, BuildKey key) {
        String name = worker.getMetadata().getName();
        String prefix = name.length() > 40 ? name.substring(0, 40) : name;
        return (prefix + "-build-" + key.hash().substring(0, 12)).replace('.', '-');
    }

    private static OwnerReference owner(PyModeWorker worker) {
        return new OwnerReferenceBuilder().withApiVersion(worker.getApiVersion()).withKind(worker.getKind())
                .withName(worker.getMetadata().getName()).withUid(worker.getMetadata().getUid())
                .withController(true).withBlockOwnerDeletion(true).build();
    }

    private String now() {
        return Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString();
    }
}
