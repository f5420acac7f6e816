package dev.pymode.operator.builds;

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
import dev.pymode.operator.api.v1alpha1.worker.AttachedRecipe;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorker;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorkerStatus;
import dev.pymode.operator.config.PyModeConfig;
import dev.pymode.operator.events.EventRecorder;
import dev.pymode.operator.metrics.OperatorMetrics;
import dev.pymode.operator.oci.OciRegistry;
import dev.pymode.operator.recipes.RecipeClosure;
import dev.pymode.operator.source.ProjectSource;
import dev.pymode.operator.status.ConditionTypes;
import dev.pymode.operator.status.Conditions;
import dev.pymode.operator.status.StageResult;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * The worker's {@code Built} stage: wait for the extensions it lists, build the catalogue recipes attached to it
 * ({@link AttachedRecipes}), compute the build key, and let the {@link BuildOrchestrator} reuse or build the bundle.
 * When the builder answers that the packages need catalogue recipes, they are attached (unless
 * spec.autoAttachRecipes is false) and the stage runs again with them.
 */
public class WorkerBuildStage {

    private static final Duration EXTENSION_RECHECK = Duration.ofSeconds(30);

    private final BuildOrchestrator orchestrator;
    private final KubernetesClient client;
    private final PyModeConfig config;
    private final String toolchain;
    private final RecipeClosure recipes;
    private final EventRecorder events;

    public WorkerBuildStage(Optional<OciRegistry> registry, BuildExecutor executor, KubernetesClient client,
                            PyModeConfig config, String toolchain, EventRecorder events, Clock clock,
                            OperatorMetrics metrics, RecipeClosure recipes) {
        // one orchestrator for the bundles and the recipes of every worker: one build per key among them
        this.orchestrator = new BuildOrchestrator(registry, executor, config, events, clock, metrics);
        this.client = client;
        this.config = config;
        this.toolchain = toolchain;
        this.recipes = recipes;
        this.events = events;
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
        boolean attach = !Boolean.FALSE.equals(spec.getAutoAttachRecipes());
        String inputs = AttachedRecipes.resolutionInputs(spec.getPackages(), extensions.digests(),
                orchestrator.runtimeRef());
        List<AttachedRecipe> attached = AttachedRecipes.current(status, inputs, attach);
        Map<String, String> digests = new TreeMap<>(extensions.digests());
        List<String> attachedReferences = new ArrayList<>();
        for (AttachedRecipe recipe : attached) {
            StageResult built = buildRecipe(worker, recipe);
            if (!built.succeeded()) {
                return AttachedRecipes.recipeNotReady(recipe, built);
            }
            digests.put(AttachedRecipes.KEY_PREFIX + recipe.getRecipe(), recipe.getArtifact().getDigest());
            attachedReferences.add(recipe.getArtifact().getRef());
        }
        BuildKey key = BuildKey.forWorker(spec, source.digest(), entry, digests, orchestrator.runtimeRef(), toolchain);
        Subject subject = new Subject(worker, status, key, source, extensions.references(), attachedReferences);
        StageResult built = orchestrator.run(subject);
        if (built.succeeded()) {
            return new StageResult(built.conditionType(), built.outcome(), built.reason(),
                    AttachedRecipes.withAttached(built.message(), attached), built.retryAfter());
        }
        if (!RecipeRequest.REASON.equals(built.reason())) {
            return built;
        }
        if (!attach) {
            return AttachedRecipes.notAttached(built);
        }
        if (subject.request == null) {
            // the request was answered in an earlier pass whose list is gone: the stalled record says nothing new
            return built;
        }
        List<AttachedRecipe> added = AttachedRecipes.add(status, inputs, subject.request);
        if (added.isEmpty()) {
            return AttachedRecipes.ineffective(subject.request, attached);
        }
        for (AttachedRecipe recipe : added) {
            events.normal(worker, "RecipeAttached", "the packages need " + recipe.getDistribution()
                    + ", which publishes no pure-Python wheel: attaching catalogue recipe " + recipe.describe());
        }
        // again, with the recipes: their builds start (or their artifacts are found) now
        return run(worker, source, entry, status);
    }

    /** An attached recipe's artifact: the same subject as a PyModeExtension of that recipe, owned by the worker. */
    private StageResult buildRecipe(PyModeWorker worker, AttachedRecipe recipe) {
        RecipeClosure.Resolution resolution = recipes.resolveCatalogue(recipe.getRecipe());
        if (!resolution.stage().succeeded()) {
            return resolution.stage();
        }
        ExtensionBuildKey key = new ExtensionBuildKey(resolution.recipe(), resolution.files().digest(),
                orchestrator.runtimeRef(), toolchain);
        return orchestrator.run(new RecipeSubject(worker, recipe, key, resolution.files().files()));
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
        private final List<String> attachedReferences;
        /** What the builder asked for in this pass, if it did. */
        private RecipeRequest request;

        Subject(PyModeWorker worker, PyModeWorkerStatus status, BuildKey key, ProjectSource source,
                List<String> extensionReferences, List<String> attachedReferences) {
            this.worker = worker;
            this.status = status;
            this.key = key;
            this.source = source;
            this.extensionReferences = extensionReferences;
            this.attachedReferences = attachedReferences;
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
        @Override public void recipesNeeded(RecipeRequest request) { this.request = request; }

        @Override
        public List<String> arguments(String pushReference) {
            return new ArrayList<>(BuilderCommand.workerArguments(key, extensionReferences, attachedReferences,
                    pushReference, source.revision()));
        }
    }

    /**
     * A catalogue recipe attached to the worker: built like a PyModeExtension with {@code spec.recipe} (same key,
     * repository, tag and builder command), recorded on the worker's attached-recipe entry. Several may build at
     * once, so a recipe build cancels none of the worker's others.
     */
    private final class RecipeSubject implements BuildSubject {
        private final PyModeWorker worker;
        private final AttachedRecipe recipe;
        private final ExtensionBuildKey key;
        private final SortedMap<String, byte[]> files;

        RecipeSubject(PyModeWorker worker, AttachedRecipe recipe, ExtensionBuildKey key, SortedMap<String, byte[]> files) {
            this.worker = worker;
            this.recipe = recipe;
            this.key = key;
            this.files = files;
        }

        @Override public HasMetadata resource() { return worker; }
        @Override public String keyHash() { return key.hash(); }
        @Override public String tag() { return key.tag(); }
        @Override public String repository() { return config.registry().extensionRepository(); }
        @Override public String buildNameMarker() { return "rcp"; }
        @Override public String subcommand() { return "extension"; }
        @Override public SortedMap<String, byte[]> sourceFiles() { return files; }
        @Override public List<String> arguments(String pushReference) {
            return BuilderCommand.extensionArguments(key, pushReference);
        }
        @Override public BuildProgress progress() { return recipe.getBuild(); }
        @Override public void progress(BuildProgress progress) { recipe.setBuild(progress); }
        @Override public ArtifactReference artifact() { return recipe.getArtifact(); }
        @Override public void artifact(ArtifactReference artifact) { recipe.setArtifact(artifact); }
        @Override public boolean cancelsStaleBuilds() { return false; }
    }
}
