package dev.pymode.operator.recipes;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Optional;

/**
 * The recipes shipped with the operator: the repository's recipes/ folder (recipe JSON files and their
 * patches), packaged on the classpath. Recipes are read as bytes: they go to the builder unchanged, and the
 * builder validates them against recipes/schema.json.
 */
public class RecipeCatalog {

    private final ClassLoader loader;

    public RecipeCatalog(ClassLoader loader) {
        this.loader = loader;
    }

    /** {@code recipes/<name>.json}, if the catalogue has it. */
    public Optional<byte[]> recipe(String name) {
        return file(name + ".json");
    }

    /** A file of the catalogue by its path relative to recipes/ (e.g. a recipe's {@code patches/...}). */
    public Optional<byte[]> file(String relativePath) {
        if (relativePath.contains("..") || relativePath.startsWith("/")) {
            return Optional.empty();
        }
        try (InputStream in = loader.getResourceAsStream("recipes/" + relativePath)) {
            return in == null ? Optional.empty() : Optional.of(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read recipes/" + relativePath + " from the classpath", e);
        }
    }
}
