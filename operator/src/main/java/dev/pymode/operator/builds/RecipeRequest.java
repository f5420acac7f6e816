package dev.pymode.operator.builds;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The builder's request for catalogue recipes (builder-image/bundler/pymode_build.py NeedsRecipes, exit
 * {@link BuilderCommand#EXIT_NEEDS_RECIPES}; docs/extensions.md "Catalogue recipes attached automatically"): its last
 * line is {@value #PREFIX} followed by one JSON object,
 * <pre>{"message": "invalid input: ...", "recipes": [{"recipe", "version", "distribution", "wanted"}, ...]}</pre>
 *
 * @param message the refusal as a person reads it (what the worker shows when nothing attaches the recipes)
 * @param recipes what the resolution needs, one entry per recipe
 */
public record RecipeRequest(String message, List<Needed> recipes) {

    public static final String PREFIX = "catalogue recipes needed: ";
    /** The Built reason of a build that stopped on such a request. */
    public static final String REASON = "CatalogueRecipesNeeded";
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /**
     * @param recipe       catalogue name (recipes/&lt;recipe&gt;.json)
     * @param version      the recipe's release
     * @param distribution the distribution of the resolution that has no pure-Python wheel
     * @param wanted       the release of it the resolution would take
     */
    public record Needed(String recipe, String version, String distribution, String wanted) {
    }

    /** The request in a build's log tail or termination message (its last line with the prefix), if it has one. */
    public static Optional<RecipeRequest> parse(String output) {
        if (output == null) {
            return Optional.empty();
        }
        String[] lines = output.strip().split("\n");
        for (int i = lines.length - 1; i >= 0; i--) {
            String line = lines[i].strip();
            if (!line.startsWith(PREFIX)) {
                continue;
            }
            try {
                JsonNode json = MAPPER.readTree(line.substring(PREFIX.length()));
                List<Needed> needed = new ArrayList<>();
                for (JsonNode r : json.path("recipes")) {
                    if (!r.path("recipe").isTextual()) {
                        return Optional.empty();
                    }
                    needed.add(new Needed(r.path("recipe").asText(), r.path("version").asText(""),
                            r.path("distribution").asText(""), r.path("wanted").asText("")));
                }
                String message = json.path("message").asText("").strip();
                return needed.isEmpty() || message.isEmpty() ? Optional.empty()
                        : Optional.of(new RecipeRequest(message, List.copyOf(needed)));
            } catch (java.io.IOException e) {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }
}
