package dev.pymode.operator.builds;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The builder's request for catalogue recipes, as the executors read it from its last line. */
@Tag("unit")
class RecipeRequestTest {

    static final String MESSAGE = "invalid input: packages zstandard cannot run in python.wasm: zstandard 0.25.0 "
            + "publishes no pure-Python wheel (the catalogue recipe `zstandard` builds it: add a PyModeExtension with "
            + "recipe: zstandard and list it in the worker's spec.extensions)";
    /** What pymode_build.py prints last and writes as the termination message (exit 4). */
    static final String LINE = RecipeRequest.PREFIX + "{\"message\": \"" + MESSAGE.replace("`", "\\u0060")
            + "\", \"recipes\": [{\"distribution\": \"zstandard\", \"recipe\": \"zstandard\", \"version\": \"0.25.0\", "
            + "\"wanted\": \"0.25.0\"}]}";

    @Test
    void theLastRequestLineOfTheLogIsTheRequest() {
        var request = RecipeRequest.parse("Collecting zstandard\n" + MESSAGE + "\n" + LINE + "\n").orElseThrow();
        assertThat(request.message()).isEqualTo(MESSAGE);
        assertThat(request.recipes()).containsExactly(
                new RecipeRequest.Needed("zstandard", "0.25.0", "zstandard", "0.25.0"));
    }

    @Test
    void anExitFourWithoutAReadableRequestIsAnInputErrorShowingTheOutputNotAnAttach() {
        for (String output : List.of("", "invalid input: something", RecipeRequest.PREFIX + "{not json",
                RecipeRequest.PREFIX + "{\"message\": \"m\", \"recipes\": []}",
                RecipeRequest.PREFIX + "{\"message\": \"m\", \"recipes\": [{\"version\": \"1\"}]}")) {
            assertThat(RecipeRequest.parse(output)).as(output).isEmpty();
            var observation = BuildObservation.needsRecipes(output);
            assertThat(observation.failure().kind()).as(output).isEqualTo(BuildObservation.FailureKind.INVALID_INPUT);
            assertThat(observation.failure().recipes()).isNull();
        }
    }

    @Test
    void aReadableRequestIsAFailureOfItsOwnKindCarryingTheRecipes() {
        var observation = BuildObservation.needsRecipes(LINE);
        assertThat(observation.phase()).isEqualTo(BuildObservation.Phase.FAILED);
        assertThat(observation.failure().kind()).isEqualTo(BuildObservation.FailureKind.NEEDS_RECIPES);
        assertThat(observation.failure().reason()).isEqualTo("CatalogueRecipesNeeded");
        assertThat(observation.failure().summary()).isEqualTo(MESSAGE);
        assertThat(observation.failure().recipes().recipes()).extracting(RecipeRequest.Needed::recipe)
                .containsExactly("zstandard");
    }
}
