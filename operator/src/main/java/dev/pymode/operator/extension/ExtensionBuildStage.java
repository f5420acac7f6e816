package dev.pymode.operator.extension;

import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;

import dev.pymode.operator.api.v1alpha1.common.ArtifactReference;
import dev.pymode.operator.api.v1alpha1.common.BuildProgress;
import dev.pymode.operator.api.v1alpha1.extension.PyModeExtension;
import dev.pymode.operator.api.v1alpha1.extension.PyModeExtensionStatus;
import dev.pymode.operator.builds.BuildExecutor;
import dev.pymode.operator.builds.BuildOrchestrator;
import dev.pymode.operator.builds.BuildSubject;
import dev.pymode.operator.builds.BuilderCommand;
import dev.pymode.operator.builds.ExtensionBuildKey;
import dev.pymode.operator.config.PyModeConfig;
import dev.pymode.operator.events.EventRecorder;
import dev.pymode.operator.metrics.OperatorMetrics;
import dev.pymode.operator.oci.OciRegistry;
import dev.pymode.operator.recipes.RecipeClosure;
import dev.pymode.operator.status.StageResult;
import io.fabric8.kubernetes.api.model.HasMetadata;

/**
 * The extension's {@code Built} stage: the key is the recipe files, the runtime and the toolchain; the
 * {@link BuildOrchestrator} reuses the artifact or runs the builder's {@code extension} command. One artifact
 * per key serves every worker (and namespace) that lists an extension with the same recipes.
 */
public class ExtensionBuildStage {

    private final BuildOrchestrator orchestrator;
    private final PyModeConfig config;
    private final String toolchain;

    public ExtensionBuildStage(Optional<OciRegistry> registry, BuildExecutor executor, PyModeConfig config,
                               String toolchain, EventRecorder events, Clock clock, OperatorMetrics metrics) {
        this.orchestrator = new BuildOrchestrator(registry, executor, config, events, clock, metrics);
        this.config = config;
        this.toolchain = toolchain;
    }

    public StageResult run(PyModeExtension extension, RecipeClosure.Resolution recipes, PyModeExtensionStatus status) {
        Optional<StageResult> unavailable = orchestrator.unavailable();
        if (unavailable.isPresent()) {
            return unavailable.get();
        }
        ExtensionBuildKey key = new ExtensionBuildKey(recipes.recipe(), recipes.files().digest(),
                orchestrator.runtimeRef(), toolchain);
        status.setRecipesDigest(recipes.files().digest());
        StageResult built = orchestrator.run(new Subject(extension, status, key, recipes.files().files()));
        // The builder fails a module whose side module lacks its init symbol, so a built artifact has them all.
        status.setEntryPoints(built.succeeded() ? recipes.entryPoints() : List.of());
        return built;
    }

    private final class Subject implements BuildSubject {
        private final PyModeExtension extension;
        private final PyModeExtensionStatus status;
        private final ExtensionBuildKey key;
        private final SortedMap<String, byte[]> files;

        Subject(PyModeExtension extension, PyModeExtensionStatus status, ExtensionBuildKey key,
                SortedMap<String, byte[]> files) {
            this.extension = extension;
            this.status = status;
            this.key = key;
            this.files = files;
        }

        @Override public HasMetadata resource() { return extension; }
        @Override public String keyHash() { return key.hash(); }
        @Override public String tag() { return key.tag(); }
        @Override public String repository() { return config.registry().extensionRepository(); }
        @Override public String buildNameMarker() { return "ext"; }
        @Override public String subcommand() { return "extension"; }
        @Override public SortedMap<String, byte[]> sourceFiles() { return files; }
        @Override public List<String> arguments(String pushReference) {
            return BuilderCommand.extensionArguments(key, pushReference);
        }
        @Override public BuildProgress progress() { return status.getBuild(); }
        @Override public void progress(BuildProgress progress) { status.setBuild(progress); }
        @Override public ArtifactReference artifact() { return status.getArtifact(); }
        @Override public void artifact(ArtifactReference artifact) { status.setArtifact(artifact); }
    }
}
