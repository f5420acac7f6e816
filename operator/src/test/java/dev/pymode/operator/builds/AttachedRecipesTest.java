package dev.pymode.operator.builds;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.pymode.operator.api.v1alpha1.worker.AttachedRecipe;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorkerStatus;
import dev.pymode.operator.status.StageResult;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The decisions about a worker's attached catalogue recipes, without builds. */
@Tag("unit")
class AttachedRecipesTest {

    private static final String RUNTIME = "reg/pymode/runtime@sha256:" + "1".repeat(64);
    private static final RecipeRequest ZSTD = new RecipeRequest("invalid input: zstandard needs a recipe",
            List.of(new RecipeRequest.Needed("zstandard", "0.25.0", "zstandard", "0.25.0")));
    private static final RecipeRequest REGEX_AND_ZSTD = new RecipeRequest("invalid input: both",
            List.of(new RecipeRequest.Needed("regex", "2026.9.3", "regex", "2026.12.2"),
                    new RecipeRequest.Needed("zstandard", "0.25.0", "zstandard", "0.25.0")));

    private static String inputs(List<String> packages, Map<String, String> extensions) {
        return AttachedRecipes.resolutionInputs(packages, extensions, RUNTIME);
    }

    @Test
    void theResolutionInputsAreThePackagesTheWorkersOwnExtensionsAndTheRuntime() {
        String base = inputs(List.of("zstandard"), Map.of());
        assertThat(inputs(List.of("zstandard"), Map.of())).isEqualTo(base);
        assertThat(inputs(List.of("zstandard", "attrs"), Map.of())).isNotEqualTo(base);
        assertThat(inputs(List.of("zstandard"), Map.of("zstd", "sha256:" + "2".repeat(64)))).isNotEqualTo(base);
        assertThat(AttachedRecipes.resolutionInputs(List.of("zstandard"), Map.of(), RUNTIME + "x")).isNotEqualTo(base);
    }

    @Test
    void whatTheBuilderAsksForIsAttachedOnceAndKeptForTheSameInputs() {
        var status = new PyModeWorkerStatus();
        String inputs = inputs(List.of("zstandard"), Map.of());
        assertThat(AttachedRecipes.current(status, inputs, true)).isEmpty();

        assertThat(AttachedRecipes.add(status, inputs, ZSTD)).extracting(AttachedRecipe::describe)
                .containsExactly("zstandard 0.25.0 for zstandard");
        assertThat(status.getAttachedRecipesFor()).isEqualTo(inputs);
        // a later pass that gets further asks for more: only the new one is added
        assertThat(AttachedRecipes.add(status, inputs, REGEX_AND_ZSTD)).extracting(AttachedRecipe::getRecipe)
                .containsExactly("regex");
        assertThat(AttachedRecipes.current(status, inputs, true)).extracting(AttachedRecipe::getRecipe)
                .as("in recipe order").containsExactly("regex", "zstandard");
        // asking only for what is attached: nothing new, attaching cannot help
        assertThat(AttachedRecipes.add(status, inputs, ZSTD)).isEmpty();
    }

    @Test
    void otherInputsOrAutoAttachOffDropTheList() {
        var status = new PyModeWorkerStatus();
        String inputs = inputs(List.of("zstandard"), Map.of());
        AttachedRecipes.add(status, inputs, ZSTD);

        // an explicit PyModeExtension was added: the builder is asked again, and it wins for what it ships
        String withExtension = inputs(List.of("zstandard"), Map.of("zstd", "sha256:" + "3".repeat(64)));
        assertThat(AttachedRecipes.current(status, withExtension, true)).isEmpty();
        assertThat(status.getAttachedRecipes()).isEmpty();
        assertThat(status.getAttachedRecipesFor()).isEqualTo(withExtension);

        AttachedRecipes.add(status, inputs, ZSTD);
        assertThat(AttachedRecipes.current(status, inputs, false)).isEmpty();
        assertThat(status.getAttachedRecipes()).isEmpty();
        assertThat(status.getAttachedRecipesFor()).isNull();
    }

    @Test
    void messagesNameTheRecipesAndWhy() {
        var zstd = new AttachedRecipe("zstandard", "0.25.0", "zstandard");
        assertThat(AttachedRecipes.withAttached("reg/b@sha256:1 (10 bytes)", List.of(zstd)))
                .isEqualTo("reg/b@sha256:1 (10 bytes); attached catalogue recipes: zstandard 0.25.0 for zstandard");
        assertThat(AttachedRecipes.withAttached("m", List.of())).isEqualTo("m");

        var stalled = StageResult.terminalFailure("Built", "CatalogueRecipesNeeded", ZSTD.message());
        assertThat(AttachedRecipes.notAttached(stalled).message()).startsWith(ZSTD.message())
                .contains("spec.autoAttachRecipes is false");
        assertThat(AttachedRecipes.ineffective(ZSTD, List.of(zstd))).satisfies(r -> {
            assertThat(r.outcome()).isEqualTo(StageResult.Outcome.FAILED_TERMINAL);
            assertThat(r.reason()).isEqualTo("AttachedRecipeNotUsable");
            assertThat(r.message()).contains("zstandard 0.25.0 for zstandard").contains(ZSTD.message());
        });

        var compile = StageResult.terminalFailure("Built", "CompileError", "zstd.c:1:1: error: boom");
        assertThat(AttachedRecipes.recipeNotReady(zstd, compile)).satisfies(r -> {
            assertThat(r.outcome()).isEqualTo(StageResult.Outcome.FAILED_TERMINAL);
            assertThat(r.reason()).isEqualTo("AttachedRecipeFailed");
            assertThat(r.message()).isEqualTo("catalogue recipe zstandard 0.25.0 for zstandard failed (CompileError: "
                    + "zstd.c:1:1: error: boom)");
        });
        var building = StageResult.progressing("Built", "Building", "started build w-rcp-1", Duration.ofSeconds(60));
        assertThat(AttachedRecipes.recipeNotReady(zstd, building)).satisfies(r -> {
            assertThat(r.reason()).isEqualTo("BuildingAttachedRecipe");
            assertThat(r.retryAfter()).contains(Duration.ofSeconds(60));
        });
        var transientFailure = StageResult.transientFailure("Built", "RegistryUnavailable", "down", Duration.ofSeconds(15));
        assertThat(AttachedRecipes.recipeNotReady(zstd, transientFailure).outcome())
                .isEqualTo(StageResult.Outcome.FAILED_TRANSIENT);
    }
}
