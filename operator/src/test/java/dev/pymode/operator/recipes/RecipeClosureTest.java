package dev.pymode.operator.recipes;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pymode.operator.api.v1alpha1.extension.ExtensionEntryPoint;
import dev.pymode.operator.api.v1alpha1.extension.PyModeExtension;
import dev.pymode.operator.api.v1alpha1.extension.PyModeExtensionSpec;
import dev.pymode.operator.api.v1alpha1.extension.Recipe;
import dev.pymode.operator.api.v1alpha1.extension.RecipeModule;
import dev.pymode.operator.api.v1alpha1.extension.RecipeRust;
import dev.pymode.operator.api.v1alpha1.extension.RecipeSource;
import dev.pymode.operator.status.StageResult.Outcome;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rust recipes (issue #17) resolve from the catalogue and inline like the C ones; and the closure of a recipe over a
 * catalogue made here: dependencies first and each once, patches and lock files carried, and each way the closure
 * cannot be made (missing recipe, dependency or patch, a cycle, a file that is not JSON) a terminal SourceReady
 * failure with its own reason. The builder's files and their digest are what the build key is made of, so the same
 * recipe resolves to the same digest by name and through a worker's attachment.
 */
@Tag("unit")
class RecipeClosureTest {

    private final RecipeClosure closure = new RecipeClosure(new RecipeCatalog(getClass().getClassLoader()), new ObjectMapper());

    private static PyModeExtension extension(String recipe, Recipe inline) {
        return extension(recipe, inline, 1L);
    }

    private static PyModeExtension extension(String recipe, Recipe inline, long generation) {
        PyModeExtension e = new PyModeExtension();
        e.setMetadata(new ObjectMetaBuilder().withName("x").withNamespace("ns").withGeneration(generation).build());
        PyModeExtensionSpec spec = new PyModeExtensionSpec();
        spec.setRecipe(recipe);
        spec.setInline(inline);
        e.setSpec(spec);
        return e;
    }

    @Test
    void theCatalogueRustRecipesResolveWithTheirEntryPoints() {
        RecipeClosure.Resolution r = closure.resolve(extension("pydantic-core", null));
        assertThat(r.stage().outcome()).isEqualTo(Outcome.SUCCEEDED);
        assertThat(r.entryPoints()).usingRecursiveFieldByFieldElementComparator().containsExactly(
                new ExtensionEntryPoint("pydantic_core._pydantic_core", "PyInit__pydantic_core", "pydantic-core"));
        RecipeClosure.Resolution rpds = closure.resolve(extension("rpds-py", null));
        assertThat(rpds.stage().outcome()).isEqualTo(Outcome.SUCCEEDED);
        assertThat(rpds.files().files()).containsKeys("rpds-py.json", "patches/rpds-py/maturin-package.patch");
    }

    @Test
    void anInlineRustRecipeKeepsItsRustSectionAndNeedsItsLockFileInTheCatalogue() throws Exception {
        Recipe inline = new Recipe();
        inline.setName("my-crate");
        inline.setVersion("1.0");
        RecipeSource source = new ObjectMapper().readValue(
                "{\"pypi\": \"my-crate\", \"filename\": \"my_crate-1.0.tar.gz\", \"sha256\": \"" + "0".repeat(64) + "\"}",
                RecipeSource.class);
        inline.setSource(source);
        RecipeRust rust = new RecipeRust();
        rust.setFeatures(List.of("pyo3/extension-module"));
        rust.setLockfile("patches/my-crate/Cargo.lock");
        inline.setRust(rust);
        RecipeModule module = new RecipeModule();
        module.setInit("PyInit__native");
        inline.setModules(Map.of("my_crate._native", module));
        inline.setProvides(Map.of("typing-extensions", "4.16.0"));

        RecipeClosure.Resolution r = closure.resolve(extension(null, inline));
        assertThat(r.stage().outcome()).isEqualTo(Outcome.FAILED_TERMINAL);
        assertThat(r.stage().reason()).isEqualTo("PatchNotFound");
        assertThat(r.stage().message()).contains("rust.lockfile patches/my-crate/Cargo.lock of recipe my-crate");

        rust.setLockfile(null);
        RecipeClosure.Resolution ok = closure.resolve(extension(null, inline));
        assertThat(ok.stage().outcome()).isEqualTo(Outcome.SUCCEEDED);
        String json = new String(ok.files().files().get("my-crate.json"));
        assertThat(json).contains("\"rust\":{\"features\":[\"pyo3/extension-module\"]}")
                .contains("\"provides\":{\"typing-extensions\":\"4.16.0\"}");
    }

    @TempDir
    Path root;

    private RecipeClosure closureOverTheTestCatalogue() throws Exception {
        // the catalogue reads recipes/<path> from its class loader, as it reads the packaged recipes/ folder
        return new RecipeClosure(new RecipeCatalog(new URLClassLoader(new URL[] {root.toUri().toURL()}, null)),
                new ObjectMapper());
    }

    private void recipe(String name, String json) throws Exception {
        write(name + ".json", json);
    }

    private void write(String path, String content) throws Exception {
        Path file = root.resolve("recipes").resolve(path);
        Files.createDirectories(file.getParent());
        Files.writeString(file, content);
    }

    private static String withDepends(String name, String... depends) {
        return "{\"name\": \"" + name + "\", \"depends\": [" + String.join(", ", List.of(depends).stream()
                .map(d -> "\"" + d + "\"").toList()) + "], \"modules\": {\"" + name + "._c\": {\"init\": \"PyInit__c\"}}}";
    }

    @Test
    void dependenciesComeFirstAndEachOnce() throws Exception {
        recipe("top", withDepends("top", "left", "right"));
        recipe("left", withDepends("left", "base"));
        recipe("right", withDepends("right", "base"));
        recipe("base", withDepends("base"));
        RecipeClosure.Resolution r = closureOverTheTestCatalogue().resolveCatalogue("top");
        assertThat(r.stage().outcome()).isEqualTo(Outcome.SUCCEEDED);
        assertThat(r.recipe()).isEqualTo("top");
        assertThat(r.files().files().keySet()).containsExactlyInAnyOrder("base.json", "left.json", "right.json",
                "top.json");
        // the builder's order: each dependency before the recipes that need it
        assertThat(r.entryPoints()).extracting(ExtensionEntryPoint::getRecipe).containsExactly("base", "left", "right", "top");
        assertThat(r.stage().message()).contains("recipe top from the catalogue, 3 recipe(s) it depends on");
    }

    @Test
    void patchesAndLockFilesTravelWithTheirRecipe() throws Exception {
        recipe("crate", "{\"name\": \"crate\", \"patches\": [\"patches/crate/fix.patch\"], "
                + "\"rust\": {\"lockfile\": \"patches/crate/Cargo.lock\"}, \"modules\": {}}");
        write("patches/crate/fix.patch", "--- a\n+++ b\n");
        write("patches/crate/Cargo.lock", "# lock\n");
        RecipeClosure.Resolution r = closureOverTheTestCatalogue().resolveCatalogue("crate");
        assertThat(r.files().files().keySet()).containsExactlyInAnyOrder("patches/crate/fix.patch",
                "patches/crate/Cargo.lock", "crate.json");
        assertThat(new String(r.files().files().get("patches/crate/fix.patch"))).isEqualTo("--- a\n+++ b\n");
    }

    @Test
    void eachFailureHasItsOwnReasonAndNamesWhatIsMissing() throws Exception {
        recipe("needs-ghost", withDepends("needs-ghost", "ghost"));
        recipe("a", withDepends("a", "b"));
        recipe("b", withDepends("b", "a"));
        recipe("broken", "{not json");
        recipe("patched", "{\"name\": \"patched\", \"patches\": [\"patches/patched/missing.patch\"]}");
        recipe("escaping", "{\"name\": \"escaping\", \"rust\": {\"lockfile\": \"../Cargo.lock\"}}");
        RecipeClosure closure = closureOverTheTestCatalogue();
        assertFailure(closure.resolveCatalogue("nowhere"), "RecipeNotFound", "no recipe named 'nowhere' in the catalogue");
        assertFailure(closure.resolveCatalogue("needs-ghost"), "RecipeNotFound",
                "recipe ghost (needed by needs-ghost) is not in the catalogue");
        assertFailure(closure.resolveCatalogue("a"), "RecipeDependencyCycle", "recipe dependency cycle: a -> b -> a");
        assertFailure(closure.resolveCatalogue("broken"), "InvalidRecipe", "recipe broken is not valid JSON");
        assertFailure(closure.resolveCatalogue("patched"), "PatchNotFound",
                "patch patches/patched/missing.patch of recipe patched is not in the catalogue");
        assertFailure(closure.resolveCatalogue("escaping"), "PatchNotFound", "is not a catalogue path");
    }

    private static void assertFailure(RecipeClosure.Resolution r, String reason, String message) {
        assertThat(r.stage().outcome()).isEqualTo(Outcome.FAILED_TERMINAL);
        assertThat(r.stage().reason()).isEqualTo(reason);
        assertThat(r.stage().message()).contains(message);
        assertThat(r.files()).isNull();
    }

    @Test
    void aRecipeByNameResolvesToTheSameFilesAsItsAttachment() throws Exception {
        recipe("zstd", withDepends("zstd", "base"));
        recipe("base", withDepends("base"));
        RecipeClosure closure = closureOverTheTestCatalogue();
        RecipeClosure.Resolution byExtension = closure.resolve(extension("zstd", null, 7));
        RecipeClosure.Resolution attached = closure.resolveCatalogue("zstd");
        // one digest: the worker that gets the recipe attached shares the PyModeExtension's artifact
        assertThat(byExtension.files().digest()).isEqualTo(attached.files().digest());
    }

    @Test
    void anInlineRecipeDependsOnCatalogueRecipesAndItsDigestFollowsItsContent() throws Exception {
        recipe("base", withDepends("base"));
        Recipe inline = new ObjectMapper().readValue("{\"name\": \"mine\", \"version\": \"1.0\", \"depends\": [\"base\"],"
                + " \"source\": {\"pypi\": \"mine\", \"filename\": \"mine-1.0.tar.gz\","
                + " \"sha256\": \"" + "0".repeat(64) + "\"}, \"modules\": {\"mine._c\": {\"init\": \"PyInit__c\"}}}", Recipe.class);
        RecipeClosure closure = closureOverTheTestCatalogue();
        RecipeClosure.Resolution first = closure.resolve(extension(null, inline, 1));
        assertThat(first.stage().reason()).isEqualTo("InlineRecipe");
        assertThat(first.files().files().keySet()).containsExactlyInAnyOrder("base.json", "mine.json");
        assertThat(closure.resolve(extension(null, inline, 2)).files().digest())
                .as("a new generation with the same recipe builds nothing new").isEqualTo(first.files().digest());
        inline.setVersion("1.1");
        assertThat(closure.resolve(extension(null, inline, 3)).files().digest()).isNotEqualTo(first.files().digest());
    }
}
