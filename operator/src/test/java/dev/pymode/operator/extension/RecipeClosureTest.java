package dev.pymode.operator.extension;

import static org.assertj.core.api.Assertions.assertThat;

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

/** Rust recipes (issue #17) resolve from the catalogue and inline like the C ones. */
@Tag("unit")
class RecipeClosureTest {

    private final RecipeClosure closure = new RecipeClosure(new RecipeCatalog(getClass().getClassLoader()), new ObjectMapper());

    private static PyModeExtension extension(String recipe, Recipe inline) {
        PyModeExtension e = new PyModeExtension();
        e.setMetadata(new ObjectMetaBuilder().withName("x").withNamespace("ns").withGeneration(1L).build());
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
}
