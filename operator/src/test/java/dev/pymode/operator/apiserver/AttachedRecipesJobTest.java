package dev.pymode.operator.apiserver;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pymode.devenv.RepositoryLayout;
import dev.pymode.operator.api.v1alpha1.worker.AttachedRecipe;
import dev.pymode.operator.api.v1alpha1.worker.InlineFile;
import dev.pymode.operator.api.v1alpha1.worker.InlineSource;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorker;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorkerSpec;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorkerStatus;
import dev.pymode.operator.api.v1alpha1.worker.WorkerSource;
import dev.pymode.operator.builds.BuilderCommand;
import dev.pymode.operator.builds.JobBuildExecutor;
import dev.pymode.operator.builds.RecipeRequest;
import dev.pymode.operator.builds.WorkerBuildStage;
import dev.pymode.operator.config.PyModeConfig;
import dev.pymode.operator.events.EventRecorder;
import dev.pymode.operator.metrics.OperatorMetrics;
import dev.pymode.operator.oci.OciRegistry;
import dev.pymode.operator.recipes.RecipeCatalog;
import dev.pymode.operator.recipes.RecipeClosure;
import dev.pymode.operator.status.StageResult;
import dev.pymode.operator.support.JobController;
import dev.pymode.operator.support.TestSources;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Catalogue recipes attached to a worker (spec.autoAttachRecipes) on a real API server and registry, the test playing
 * the Job controller and the builder: the builder's request (exit 4) becomes a recipe build owned by the worker,
 * shared by a second worker and pushed as the extension artifact a PyModeExtension would get; the bundle is then
 * built with it. Turned off, the request is the worker's input error; a recipe that fails fails the workers needing
 * it, each with the recipe named.
 */
@Tag("apiserver")
class AttachedRecipesJobTest {

    private static final String NS = "attached-recipes";
    private static final String REQUEST = RecipeRequest.PREFIX + "{\"message\": \"invalid input: packages zstandard "
            + "cannot run in python.wasm: zstandard 0.25.0 publishes no pure-Python wheel (the catalogue recipe "
            + "zstandard builds it: add a PyModeExtension with recipe: zstandard and list it in the worker's "
            + "spec.extensions)\", \"recipes\": [{\"distribution\": \"zstandard\", \"recipe\": \"zstandard\", "
            + "\"version\": \"0.25.0\", \"wanted\": \"0.25.0\"}]}";
    private static JobTestServers servers;
    private static PyModeConfig config;

    @BeforeAll
    static void start(@TempDir Path tmp) throws Exception {
        servers = JobTestServers.start(tmp, NS);
        config = config("1");
    }

    private static KubernetesClient client() {
        return servers.client();
    }

    /** The operator's settings with a runtime of its own: another runtime is another recipe key (the registry is shared). */
    private static PyModeConfig config(String runtimeDigit) {
        return JobTestSettings.forRegistry(servers.registry().host(), runtimeDigit);
    }

    @AfterAll
    static void stop() throws Exception {
        if (servers != null) {
            servers.close();
        }
    }

    private static WorkerBuildStage newOperator() {
        return newOperator(config);
    }

    private static WorkerBuildStage newOperator(PyModeConfig config) {
        var oci = new OciRegistry(servers.registry().host(), true, null, null, new ObjectMapper());
        return new WorkerBuildStage(Optional.of(oci), new JobBuildExecutor(client(), config), client(), config,
                config.builder().image(), new EventRecorder(client(), Clock.systemUTC()), Clock.systemUTC(),
                OperatorMetrics.none(), new RecipeClosure(new RecipeCatalog(AttachedRecipesJobTest.class.getClassLoader()),
                new ObjectMapper()));
    }

    private static PyModeWorker createWorker(String name, Boolean autoAttach) {
        var inline = new InlineSource();
        inline.getFiles().add(new InlineFile("src/entry.py", "import zstandard  # " + name + "\n"));
        var source = new WorkerSource();
        source.setInline(inline);
        var spec = new PyModeWorkerSpec();
        spec.setSource(source);
        spec.setPackages(List.of("zstandard"));
        spec.setAutoAttachRecipes(autoAttach);
        var worker = new PyModeWorker();
        worker.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NS).build());
        worker.setSpec(spec);
        return client().resource(worker).create();
    }

    private static StageResult reconcile(WorkerBuildStage stage, PyModeWorker worker, PyModeWorkerStatus status) {
        return stage.run(worker, TestSources.resolver(client()).resolve(worker).source(), "src/entry.py", status);
    }

    private static Job job(String name) {
        return client().batch().v1().jobs().inNamespace(NS).withName(name).get();
    }

    private static List<String> command(String jobName) {
        return job(jobName).getSpec().getTemplate().getSpec().getContainers().get(0).getCommand();
    }

    /** The builder's exit 4 with its request as the termination message. */
    private static void askForRecipes(String jobName) {
        JobController.podTerminated(client(), NS, jobName, JobController.terminated(BuilderCommand.EXIT_NEEDS_RECIPES,
                "Error", REQUEST), false);
        JobController.finish(client(), NS, jobName, false, "BackoffLimitExceeded", "Job has reached the backoff limit");
    }

    /** What a finished build leaves: an artifact under the key's tag. */
    private static void pushed(String repository, String tag, String file, String content) throws Exception {
        Path dir = Files.createTempDirectory("artifact");
        Files.writeString(dir.resolve(file), content);
        Process push = new ProcessBuilder(RepositoryLayout.ociToolsBin().resolve("oras").toString(), "push",
                "--plain-http", servers.registry().host() + "/" + repository + ":" + tag, file + ":application/json")
                .directory(dir.toFile()).inheritIO().start();
        assertThat(push.waitFor()).isZero();
    }

    private static List<Event> events(String name, String reason) {
        return client().v1().events().inNamespace(NS).list().getItems().stream()
                .filter(e -> name.equals(e.getInvolvedObject().getName()) && reason.equals(e.getReason())).toList();
    }

    @Test
    void aRequestedRecipeIsBuiltOnceForTwoWorkersAsTheExtensionArtifactAndTheBundlesAreBuiltWithIt() throws Exception {
        WorkerBuildStage operator = newOperator();
        PyModeWorker first = createWorker("needs-zstd", null);
        var status = new PyModeWorkerStatus();
        assertThat(reconcile(operator, first, status).reason()).isEqualTo("Building");
        String discovery = status.getBuild().getName();
        assertThat(command(discovery)).doesNotContain("--catalogue-extension");
        askForRecipes(discovery);

        StageResult attaching = reconcile(operator, first, status);
        assertThat(attaching.reason()).as(attaching.message()).isEqualTo("BuildingAttachedRecipe");
        assertThat(attaching.message()).startsWith("building catalogue recipe zstandard 0.25.0 for zstandard: ");
        assertThat(status.getAttachedRecipes()).singleElement().satisfies(r -> {
            assertThat(r.getRecipe()).isEqualTo("zstandard");
            assertThat(r.getVersion()).isEqualTo("0.25.0");
            assertThat(r.getDistribution()).isEqualTo("zstandard");
            assertThat(r.getBuild().getName()).startsWith("needs-zstd-rcp-");
        });
        assertThat(events("needs-zstd", "RecipeAttached")).singleElement().satisfies(e -> assertThat(e.getMessage())
                .contains("attaching catalogue recipe zstandard 0.25.0 for zstandard"));
        AttachedRecipe recipe = status.getAttachedRecipes().get(0);
        String recipeJob = recipe.getBuild().getName();
        // the PyModeExtension build: the builder's extension command, the catalogue files, the extensions repository
        assertThat(command(recipeJob)).containsSequence("extension", "--source", "/workspace/source")
                .contains("--recipe=zstandard")
                .contains(servers.registry().host() + "/pymode/extensions:xk-" + recipe.getBuild().getKey());
        assertThat(job(recipeJob).getMetadata().getOwnerReferences()).singleElement()
                .satisfies(o -> assertThat(o.getName()).isEqualTo("needs-zstd"));
        assertThat(job(discovery)).as("the finished discovery build is removed").isNull();

        // a second worker asks for the same recipe while it builds: it waits for that build, starts none
        PyModeWorker second = createWorker("needs-zstd-too", null);
        var secondStatus = new PyModeWorkerStatus();
        reconcile(operator, second, secondStatus);
        askForRecipes(secondStatus.getBuild().getName());
        StageResult waiting = reconcile(operator, second, secondStatus);
        assertThat(waiting.reason()).isEqualTo("BuildingAttachedRecipe");
        assertThat(waiting.message()).contains("waiting for it instead of building it again").contains(recipeJob);
        assertThat(client().batch().v1().jobs().inNamespace(NS).list().getItems())
                .noneMatch(j -> j.getMetadata().getName().startsWith("needs-zstd-too-rcp-"));

        pushed("pymode/extensions", "xk-" + recipe.getBuild().getKey(), "extension.json", "{\"name\": \"zstandard\"}");
        JobController.finish(client(), NS, recipeJob, true, null, null);
        StageResult bundling = reconcile(operator, first, status);
        assertThat(bundling.reason()).as(bundling.message()).isEqualTo("Building");
        assertThat(recipe.getArtifact().getRef()).startsWith(servers.registry().host() + "/pymode/extensions@sha256:");
        assertThat(recipe.getBuild()).isNull();
        String bundleJob = status.getBuild().getName();
        assertThat(bundleJob).startsWith("needs-zstd-build-").isNotEqualTo(discovery);
        assertThat(command(bundleJob)).containsSequence("--catalogue-extension", recipe.getArtifact().getRef())
                .doesNotContain("--extension");

        StageResult secondBundling = reconcile(operator, second, secondStatus);
        assertThat(secondBundling.reason()).isEqualTo("Building");
        assertThat(secondStatus.getAttachedRecipes()).singleElement().satisfies(r -> {
            assertThat(r.getArtifact().getDigest()).isEqualTo(recipe.getArtifact().getDigest());
            assertThat(r.getArtifact().getCacheHit()).isTrue();
        });

        pushed("pymode/bundles", "bk-" + status.getBuild().getKey(), "bundle.json", "{\"format\":\"pymode-bundle/1\"}");
        JobController.finish(client(), NS, bundleJob, true, null, null);
        StageResult built = reconcile(operator, first, status);
        assertThat(built.reason()).isEqualTo("Built");
        assertThat(built.message()).endsWith("; attached catalogue recipes: zstandard 0.25.0 for zstandard");
        assertThat(reconcile(newOperator(), first, status).reason()).as("a restarted operator: no new build")
                .isEqualTo("Built");
    }

    @Test
    void autoAttachIsOnUnlessTheSpecSaysOtherwise() {
        PyModeWorker unset = createWorker("attach-default", null);
        assertThat(unset.getSpec().getAutoAttachRecipes()).as("the API server's default").isTrue();
        assertThat(createWorker("attach-off", false).getSpec().getAutoAttachRecipes()).isFalse();
    }

    @Test
    void withAutoAttachOffTheRequestIsTheWorkersInputErrorAndNothingIsAttached() {
        WorkerBuildStage operator = newOperator();
        PyModeWorker worker = createWorker("no-attach", false);
        var status = new PyModeWorkerStatus();
        reconcile(operator, worker, status);
        askForRecipes(status.getBuild().getName());

        StageResult refused = reconcile(operator, worker, status);
        assertThat(refused.outcome()).isEqualTo(StageResult.Outcome.FAILED_TERMINAL);
        assertThat(refused.reason()).isEqualTo("CatalogueRecipesNeeded");
        assertThat(refused.message()).startsWith("invalid input: packages zstandard cannot run in python.wasm: "
                + "zstandard 0.25.0 publishes no pure-Python wheel (the catalogue recipe zstandard builds it: add a "
                + "PyModeExtension with recipe: zstandard").contains("spec.autoAttachRecipes is false");
        assertThat(status.getAttachedRecipes()).isEmpty();
        assertThat(events("no-attach", "RecipeAttached")).isEmpty();
        assertThat(client().batch().v1().jobs().inNamespace(NS).list().getItems())
                .noneMatch(j -> j.getMetadata().getName().startsWith("no-attach-"));
        assertThat(reconcile(operator, worker, status).reason()).as("stalled: no second build for the same inputs")
                .isEqualTo("CatalogueRecipesNeeded");
        assertThat(status.getBuild().getFailedAttempts()).isEqualTo(1);
    }

    @Test
    void aRecipeThatFailsToBuildFailsEveryWorkerNeedingItNamingTheRecipeAndNoneHangs() {
        WorkerBuildStage operator = newOperator(config("4"));
        PyModeWorker first = createWorker("bad-zstd", null);
        PyModeWorker second = createWorker("bad-zstd-too", null);
        var status = new PyModeWorkerStatus();
        var secondStatus = new PyModeWorkerStatus();
        reconcile(operator, first, status);
        reconcile(operator, second, secondStatus);
        askForRecipes(status.getBuild().getName());
        askForRecipes(secondStatus.getBuild().getName());
        assertThat(reconcile(operator, first, status).reason()).isEqualTo("BuildingAttachedRecipe");
        assertThat(reconcile(operator, second, secondStatus).message()).contains("waiting for it");
        String recipeJob = status.getAttachedRecipes().get(0).getBuild().getName();
        String compileError = "build failed: build of recipe zstandard 0.25.0 failed (exit 1):\n"
                + "zstd/lib/compress/zstd_compress.c:12:5: error: call to undeclared function 'nope'";
        JobController.podTerminated(client(), NS, recipeJob, JobController.terminated(1, "Error", compileError), false);
        JobController.finish(client(), NS, recipeJob, false, "BackoffLimitExceeded", "Job has reached the backoff limit");

        StageResult failed = reconcile(operator, first, status);
        assertThat(failed.outcome()).isEqualTo(StageResult.Outcome.FAILED_TERMINAL);
        assertThat(failed.reason()).isEqualTo("AttachedRecipeFailed");
        assertThat(failed.message()).startsWith("catalogue recipe zstandard 0.25.0 for zstandard failed (CompileError: ")
                .contains("error: call to undeclared function 'nope'");

        // the waiting worker is not left waiting: it builds the recipe itself and meets the same failure
        StageResult secondTry = reconcile(operator, second, secondStatus);
        assertThat(secondTry.reason()).isEqualTo("BuildingAttachedRecipe");
        String secondJob = secondStatus.getAttachedRecipes().get(0).getBuild().getName();
        assertThat(secondJob).startsWith("bad-zstd-too-rcp-");
        JobController.podTerminated(client(), NS, secondJob, JobController.terminated(1, "Error", compileError), false);
        JobController.finish(client(), NS, secondJob, false, "BackoffLimitExceeded", "Job has reached the backoff limit");
        StageResult secondFailed = reconcile(operator, second, secondStatus);
        assertThat(secondFailed.reason()).isEqualTo("AttachedRecipeFailed");
        assertThat(secondFailed.message()).isEqualTo(failed.message());
    }
}
