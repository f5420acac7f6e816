package dev.pymode.operator.build;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

import dev.pymode.operator.api.v1alpha1.common.ArtifactReference;
import dev.pymode.operator.api.v1alpha1.common.BuildProgress;
import dev.pymode.operator.api.v1alpha1.common.LocalObjectReference;
import dev.pymode.operator.api.v1alpha1.extension.PyModeExtension;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorker;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorkerStatus;
import dev.pymode.operator.config.PyModeConfig;
import dev.pymode.operator.events.EventRecorder;
import dev.pymode.operator.metrics.OperatorMetrics;
import dev.pymode.operator.oci.OciRegistry;
import dev.pymode.operator.source.ProjectSource;
import dev.pymode.operator.status.ConditionTypes;
import dev.pymode.operator.status.Conditions;
import dev.pymode.operator.status.StageResult;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * The worker's {@code Built} stage: wait for the extensions it lists, compute the build key, and let the
 * {@link BuildOrchestrator} reuse or build the bundle.
 */
public class WorkerBuildStage {

    private static final Duration EXTENSION_RECHECK = Duration.ofSeconds(30);

    private final BuildOrchestrator orchestrator;
    private final KubernetesClient client;
    private final PyModeConfig config;
    private final String toolchain;

    public WorkerBuildStage(Optional<OciRegistry> registry, BuildExecutor executor, KubernetesClient client,
                            PyModeConfig config, String toolchain, EventRecorder events, Clock clock,
                            OperatorMetrics metrics) {
        this.orchestrator = new BuildOrchestrator(registry, executor, config, events, clock, metrics);
        this.client = client;
        this.config = config;
        this.toolchain = toolchain;
    }

    public StageResult run(PyModeWorker worker, ProjectSource source, String entry, PyModeWorkerStatus status) {
        Optional<StageResult> unavailable = orchestrator.unavailable();
        if (unavailable.isPresent()) {
            return unavailable.get();
        }
        Extensions extensions = extensions(worker);
        if (extensions.waiting() != null) {
            return extensions.waiting();
        }
        var spec = worker.getSpec();
        BuildKey key = new BuildKey(source.digest(), entry, List.copyOf(spec.getPackages()), extensions.digests(),
                orchestrator.runtimeRef(), SnapshotMode.of(spec.getWizer()), toolchain);
        return orchestrator.run(new Subject(worker, status, key, source, extensions.references()));
    }

    /** The extensions the worker lists, by artifact digest and reference; waits until each is built. */
    private Extensions extensions(PyModeWorker worker) {
        Map<String, String> digests = new TreeMap<>();
        Map<String, String> references = new TreeMap<>();
        String namespace = worker.getMetadata().getNamespace();
        for (LocalObjectReference ref : worker.getSpec().getExtensions()) {
            PyModeExtension extension = client.resources(PyModeExtension.class).inNamespace(namespace)
                    .withName(ref.getName()).get();
            if (extension == null) {
                return Extensions.waiting(StageResult.progressing(ConditionTypes.BUILT, "ExtensionNotFound",
                        "waiting for PyModeExtension " + namespace + "/" + ref.getName(), EXTENSION_RECHECK));
            }
            ArtifactReference artifact = extension.getStatus() == null ? null : extension.getStatus().getArtifact();
            boolean current = artifact != null && extension.getStatus().getObservedGeneration() != null
                    && extension.getStatus().getObservedGeneration().equals(extension.getMetadata().getGeneration())
                    && Conditions.isTrue(extension.getStatus().getConditions(), ConditionTypes.READY);
            if (!current) {
                return Extensions.waiting(notBuilt(namespace, ref.getName(), extension));
            }
            digests.put(ref.getName(), artifact.getDigest());
            references.put(ref.getName(), artifact.getRef());
        }
        return new Extensions(digests, List.copyOf(references.values()), null);
    }

    /**
     * Why the worker cannot use the extension yet. A Stalled extension (its recipe or build failed for its current
     * spec) stalls the worker with a reason naming the dependency: nothing changes until the extension does, and
     * the extension informer reconciles the worker again when it does. Otherwise the worker waits.
     */
    private static StageResult notBuilt(String namespace, String name, PyModeExtension extension) {
        var conditions = extension.getStatus() == null ? List.<io.fabric8.kubernetes.api.model.Condition>of()
                : extension.getStatus().getConditions();
        var stalled = Conditions.find(conditions, ConditionTypes.STALLED)
                .filter(c -> "True".equals(c.getStatus())
                        && extension.getMetadata().getGeneration().equals(c.getObservedGeneration()));
        if (stalled.isPresent()) {
            return StageResult.terminalFailure(ConditionTypes.BUILT, "ExtensionFailed", "PyModeExtension " + namespace
                    + "/" + name + " failed (" + stalled.get().getReason() + ": " + stalled.get().getMessage() + ")");
        }
        String why = Conditions.find(conditions, ConditionTypes.READY)
                .map(c -> " (" + c.getReason() + ": " + c.getMessage() + ")").orElse("");
        return StageResult.progressing(ConditionTypes.BUILT, "ExtensionNotBuilt",
                "waiting for PyModeExtension " + namespace + "/" + name + " to be built" + why, EXTENSION_RECHECK);
    }

    private record Extensions(Map<String, String> digests, List<String> references, StageResult waiting) {
        static Extensions waiting(StageResult why) {
            return new Extensions(null, null, why);
        }
    }

    /** The worker bundle as the orchestrator builds it. */
    private final class Subject implements BuildSubject {
        private final PyModeWorker worker;
        private final PyModeWorkerStatus status;
        private final BuildKey key;
        private final ProjectSource source;
        private final List<String> extensionReferences;

        Subject(PyModeWorker worker, PyModeWorkerStatus status, BuildKey key, ProjectSource source,
                List<String> extensionReferences) {
            this.worker = worker;
            this.status = status;
            this.key = key;
            this.source = source;
            this.extensionReferences = extensionReferences;
        }

        @Override public HasMetadata resource() { return worker; }
        @Override public String keyHash() { return key.hash(); }
        @Override public String tag() { return key.tag(); }
        @Override public String repository() { return config.registry().bundleRepository(); }
        @Override public String buildNameMarker() { return "build"; }
        @Override public String subcommand() { return "worker"; }
        @Override public SortedMap<String, byte[]> sourceFiles() { return source.files(); }
        @Override public BuildProgress progress() { return status.getBuild(); }
        @Override public void progress(BuildProgress progress) { status.setBuild(progress); }
        @Override public ArtifactReference artifact() { return status.getArtifact(); }
        @Override public void artifact(ArtifactReference artifact) { status.setArtifact(artifact); }

        @Override
        public List<String> arguments(String pushReference) {
            return new ArrayList<>(BuilderCommand.workerArguments(key, extensionReferences, pushReference,
                    source.revision()));
        }
    }
}
