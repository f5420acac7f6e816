package dev.pymode.operator.builds;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

import dev.pymode.operator.api.v1alpha1.worker.AttachedRecipe;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorkerStatus;
import dev.pymode.operator.status.ConditionTypes;
import dev.pymode.operator.status.StageResult;

/**
 * The decisions about catalogue recipes attached to a worker (issue #19; docs/extensions.md "Catalogue recipes
 * attached automatically"), kept apart from building them. The list lives in {@code status.attachedRecipes} and is
 * valid for one set of resolution inputs ({@code status.attachedRecipesFor}): the packages, the worker's own
 * extension artifacts and the runtime. The source is not one of them, so a new commit builds with the recipes
 * straight away; any other change finds them again (the builder asks).
 */
public final class AttachedRecipes {

    /** Prefix of an attached recipe's entry among the build key's extension digests (not a resource name). */
    static final String KEY_PREFIX = "recipe:";

    private AttachedRecipes() {
    }

    /** Digest of what the package resolution depends on. */
    public static String resolutionInputs(List<String> packages, Map<String, String> extensionDigests,
                                          String runtimeRef) {
        return CanonicalHash.of(Map.of("packages", List.copyOf(packages), "extensions",
                new TreeMap<>(extensionDigests), "runtime", runtimeRef));
    }

    /**
     * The recipes attached for these inputs, in recipe order. With auto-attach off, or for other inputs, the status
     * list is emptied first: explicit extensions then stand alone, or the builder asks again.
     */
    public static List<AttachedRecipe> current(PyModeWorkerStatus status, String inputs, boolean enabled) {
        if (!enabled || !inputs.equals(status.getAttachedRecipesFor())) {
            status.setAttachedRecipes(new ArrayList<>());
            status.setAttachedRecipesFor(enabled ? inputs : null);
        }
        List<AttachedRecipe> attached = new ArrayList<>(status.getAttachedRecipes());
        attached.sort((a, b) -> a.getRecipe().compareTo(b.getRecipe()));
        return attached;
    }

    /**
     * Adds what the builder asked for to the status list and returns the recipes that are new. Empty means the
     * request cannot be met by attaching: every recipe it names is attached already.
     */
    public static List<AttachedRecipe> add(PyModeWorkerStatus status, String inputs, RecipeRequest request) {
        Set<String> have = status.getAttachedRecipes().stream().map(AttachedRecipe::getRecipe)
                .collect(Collectors.toSet());
        List<AttachedRecipe> added = new ArrayList<>();
        for (RecipeRequest.Needed needed : request.recipes()) {
            if (have.add(needed.recipe())) {
                added.add(new AttachedRecipe(needed.recipe(), needed.version(), needed.distribution()));
            }
        }
        List<AttachedRecipe> all = new ArrayList<>(status.getAttachedRecipes());
        all.addAll(added);
        status.setAttachedRecipes(all);
        status.setAttachedRecipesFor(inputs);
        return added;
    }

    /** "zstandard 0.25.0 for zstandard, regex 2026.9.3 for regex". */
    public static String describe(List<AttachedRecipe> recipes) {
        return recipes.stream().map(AttachedRecipe::describe).collect(Collectors.joining(", "));
    }

    /** The Built message of a bundle built with recipes attached. */
    public static String withAttached(String message, List<AttachedRecipe> attached) {
        return attached.isEmpty() ? message : message + "; attached catalogue recipes: " + describe(attached);
    }

    /** The builder's request when the worker does not attach recipes: the refusal, naming the spec field. */
    public static StageResult notAttached(StageResult stalled) {
        return StageResult.terminalFailure(ConditionTypes.BUILT, stalled.reason(), stalled.message()
                + " (spec.autoAttachRecipes is false: the operator does not attach catalogue recipes to this worker)");
    }

    /** The builder asked for recipes that are all attached already: attaching cannot help, so stop. */
    public static StageResult ineffective(RecipeRequest request, List<AttachedRecipe> attached) {
        return StageResult.terminalFailure(ConditionTypes.BUILT, "AttachedRecipeNotUsable", "the packages still need "
                + request.recipes().stream().map(n -> n.distribution() + " " + n.wanted()).collect(Collectors.joining(", "))
                + " with catalogue recipes " + describe(attached) + " attached (a recipe's release the packages do not "
                + "accept?): " + request.message());
    }

    /** A recipe that is not built (yet): the worker's Built condition says which and why, keeping the outcome. */
    public static StageResult recipeNotReady(AttachedRecipe recipe, StageResult built) {
        return switch (built.outcome()) {
            case PROGRESSING -> new StageResult(ConditionTypes.BUILT, built.outcome(), "BuildingAttachedRecipe",
                    "building catalogue recipe " + recipe.describe() + ": " + built.message(), built.retryAfter());
            case FAILED_TRANSIENT, FAILED_TERMINAL -> new StageResult(ConditionTypes.BUILT, built.outcome(),
                    "AttachedRecipeFailed", "catalogue recipe " + recipe.describe() + " failed (" + built.reason()
                    + ": " + built.message() + ")", built.retryAfter());
            case SUCCEEDED -> built;
        };
    }
}
