package dev.pymode.operator.extension;

import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pymode.operator.api.v1alpha1.extension.Recipe;

/** The recipes shipped with the operator (the repository's recipes/ folder, packaged on the classpath). */
public class RecipeCatalog {

    private final ObjectMapper mapper;
    private final ClassLoader loader;

    public RecipeCatalog(ObjectMapper mapper, ClassLoader loader) {
        this.mapper = mapper;
        this.loader = loader;
    }

    /** Looks a recipe up by name. */
    public Optional<Recipe> find(String name) throws IOException {
        try (InputStream in = loader.getResourceAsStream("recipes/" + name + ".json")) {
            if (in == null) {
                return Optional.empty();
            }
            return Optional.of(mapper.readValue(in, Recipe.class));
        }
    }
}
