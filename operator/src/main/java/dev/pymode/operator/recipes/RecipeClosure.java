package dev.pymode.operator.recipes;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pymode.operator.api.v1alpha1.extension.ExtensionEntryPoint;
import dev.pymode.operator.api.v1alpha1.extension.PyModeExtension;
import dev.pymode.operator.api.v1alpha1.extension.Recipe;
import dev.pymode.operator.source.ProjectSource;
import dev.pymode.operator.status.ConditionTypes;
import dev.pymode.operator.status.StageResult;

/**
 * Resolves what an extension is built from: its recipe (from the resource, or the catalogue by name), every
 * recipe it depends on (from the catalogue) and their patches, as the files of the builder's source directory
 * ({@code <name>.json}, {@code patches/...}). Their digest goes into the build key. This is the
 * extension's {@code SourceReady} stage.
 */
public class RecipeClosure {

    private final RecipeCatalog catalog;
    private final ObjectMapper mapper;

    public RecipeClosure(RecipeCatalog catalog, ObjectMapper mapper) {
        this.catalog = catalog;
        this.mapper = mapper;
    }

    /**
     * @param stage       the SourceReady outcome
     * @param recipe      name of the recipe to build (null when unresolved)
     * @param files       the builder's source directory
     * @param entryPoints modules and init symbols of the recipe and its depends, dependencies first
     */
    public record Resolution(StageResult stage, String recipe, ProjectSource files,
                             List<ExtensionEntryPoint> entryPoints) {
        static Resolution failed(StageResult stage) {
            return new Resolution(stage, null, null, List.of());
        }
    }

    /** Thrown while walking the closure; becomes a terminal SourceReady failure. */
    private static final class Unresolvable extends Exception {
        final String reason;

        Unresolvable(String reason, String message) {
            super(message);
            this.reason = reason;
        }
    }

    public Resolution resolve(PyModeExtension extension) {
        Recipe inline = extension.getSpec().getInline();
        return resolve(inline != null ? inline.getName() : extension.getSpec().getRecipe(), inline,
                extension.getMetadata().getGeneration());
    }

    /**
     * A catalogue recipe by name, as {@link #resolve(PyModeExtension)} resolves a PyModeExtension with
     * {@code spec.recipe: name}: the same files, so the same digest and build key (a worker that gets the recipe
     * attached shares the extension's artifact).
     */
    public Resolution resolveCatalogue(String name) {
        return resolve(name, null, null);
    }

    private Resolution resolve(String top, Recipe inline, Long generation) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        List<ExtensionEntryPoint> entryPoints = new ArrayList<>();
        try {
            byte[] topJson = inline != null ? mapper.writeValueAsBytes(inline) : catalog.recipe(top).orElseThrow(
                    () -> new Unresolvable("RecipeNotFound", "no recipe named '" + top
                            + "' in the catalogue; use spec.inline for your own recipe"));
            visit(top, topJson, files, entryPoints, new HashSet<>(), new ArrayList<>());
        } catch (Unresolvable e) {
            return Resolution.failed(StageResult.terminalFailure(ConditionTypes.SOURCE_READY, e.reason, e.getMessage()));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise the inline recipe", e);
        }
        ProjectSource source = new ProjectSource(files, inline != null ? "inline recipe " + top
                + " @generation-" + generation : "catalogue recipe " + top);
        String origin = inline != null ? "from the resource" : "from the catalogue";
        String depends = files.size() == 1 ? "" : ", " + (files.keySet().stream().filter(f -> f.endsWith(".json")).count() - 1)
                + " recipe(s) it depends on";
        return new Resolution(StageResult.succeeded(ConditionTypes.SOURCE_READY, inline != null ? "InlineRecipe"
                : "CatalogueRecipe", "recipe " + top + " " + origin + depends + "; " + source.digest()), top, source,
                List.copyOf(entryPoints));
    }

    /** Depth first, dependencies before the recipe that needs them (the builder's order too). */
    private void visit(String name, byte[] json, Map<String, byte[]> files, List<ExtensionEntryPoint> entryPoints,
                       Set<String> done, List<String> chain) throws Unresolvable {
        if (done.contains(name)) {
            return;
        }
        if (chain.contains(name)) {
            throw new Unresolvable("RecipeDependencyCycle", "recipe dependency cycle: " + String.join(" -> ", chain)
                    + " -> " + name);
        }
        JsonNode recipe;
        try {
            recipe = mapper.readTree(json);
        } catch (IOException e) {
            throw new Unresolvable("InvalidRecipe", "recipe " + name + " is not valid JSON: " + e.getMessage());
        }
        chain.add(name);
        for (JsonNode dependency : recipe.path("depends")) {
            String dep = dependency.asText();
            Optional<byte[]> depJson = catalog.recipe(dep);
            if (depJson.isEmpty()) {
                throw new Unresolvable("RecipeNotFound", "recipe " + dep + " (needed by " + name
                        + ") is not in the catalogue");
            }
            visit(dep, depJson.get(), files, entryPoints, done, chain);
        }
        chain.remove(chain.size() - 1);
        for (JsonNode patch : recipe.path("patches")) {
            String path = patch.asText();
            files.put(path, catalog.file(path).orElseThrow(() -> new Unresolvable("PatchNotFound", "patch " + path
                    + " of recipe " + name + " is not in the catalogue")));
        }
        // a rust recipe's Cargo.lock for a source without one (rust.lockfile): a catalogue file like a patch
        JsonNode lockfile = recipe.path("rust").path("lockfile");
        if (lockfile.isTextual()) {
            String path = lockfile.asText();
            if (path.contains("..")) {
                throw new Unresolvable("PatchNotFound", "rust.lockfile " + path + " of recipe " + name
                        + " is not a catalogue path");
            }
            files.put(path, catalog.file(path).orElseThrow(() -> new Unresolvable("PatchNotFound", "rust.lockfile "
                    + path + " of recipe " + name + " is not in the catalogue")));
        }
        files.put(name + ".json", json);
        recipe.path("modules").fields().forEachRemaining(m -> entryPoints.add(
                new ExtensionEntryPoint(m.getKey(), m.getValue().path("init").asText(), name)));
        done.add(name);
    }
}
