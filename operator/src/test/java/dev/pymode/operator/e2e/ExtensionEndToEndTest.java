package dev.pymode.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pymode.operator.api.v1alpha1.common.LocalObjectReference;
import dev.pymode.operator.api.v1alpha1.extension.PyModeExtension;
import dev.pymode.operator.api.v1alpha1.extension.PyModeExtensionSpec;
import dev.pymode.operator.api.v1alpha1.extension.Recipe;
import dev.pymode.operator.api.v1alpha1.extension.RecipeModule;
import dev.pymode.operator.api.v1alpha1.extension.RecipeSource;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorker;
import dev.pymode.operator.status.Conditions;
import dev.pymode.operator.support.Edge;
import dev.pymode.operator.support.EndToEndResource;
import dev.pymode.operator.support.Namespaces;
import dev.pymode.operator.support.Workers;
import dev.pymode.operator.support.Ready;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * PyModeExtension on real parts: a catalogue recipe is compiled by the real builder (zig, wasm-ld, Asyncify)
 * into a side-module artifact in the registry, a second resource with the same recipe reuses it, and a worker
 * that lists it is bundled with the side module as a CompiledWasm module, deployed to the stand-in and answers
 * through the C code in workerd. A recipe whose archive checksum is wrong fails with the builder's message.
 */
@QuarkusTest
@QuarkusTestResource(value = EndToEndResource.class, restrictToAnnotatedClass = true)
@Tag("e2e")
class ExtensionEndToEndTest {

    private static final String NS = "e2e-extensions";
    private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(6);
    private static final String HANDLER = """
            import importlib.machinery
            import markupsafe, markupsafe._speedups as speedups
            from pymode.workers import Response

            def on_fetch(request, env):
                name = request.query.get("name", ["<b>"])[0]
                return Response.json({
                    "escaped": str(markupsafe.escape(name)),
                    "c_speedups": markupsafe._escape_inner is speedups._escape_inner,
                    "loader": type(speedups.__loader__).__name__,
                    "file": speedups.__file__,
                })
            """;

    @Inject
    KubernetesClient client;

    private PyModeExtension extension(String name) {
        return client.resources(PyModeExtension.class).inNamespace(NS).withName(name).get();
    }

    private PyModeExtension createExtension(String name, PyModeExtensionSpec spec) {
        var extension = new PyModeExtension();
        extension.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NS).build());
        extension.setSpec(spec);
        return client.resource(extension).create();
    }

    private static PyModeExtensionSpec catalogue(String recipe) {
        var spec = new PyModeExtensionSpec();
        spec.setRecipe(recipe);
        return spec;
    }

    private PyModeExtension awaitReady(String name) {
        return Ready.await(client, PyModeExtension.class, NS, name, BUILD_TIMEOUT);
    }

    @Test
    void aCatalogueRecipeIsBuiltOnceSharedAndServedByAWorker() throws Exception {
        Namespaces.ensure(client, NS);
        createExtension("markupsafe", catalogue("markupsafe"));
        PyModeExtension built = awaitReady("markupsafe");
        var artifact = built.getStatus().getArtifact();
        assertThat(artifact.getRef()).matches(".*/pymode/extensions@sha256:[0-9a-f]{64}");
        assertThat(artifact.getCacheHit()).isFalse();
        assertThat(artifact.getBuildSeconds()).isNotNull();
        assertThat(built.getStatus().getEntryPoints()).singleElement().satisfies(e -> {
            assertThat(e.getModule()).isEqualTo("markupsafe._speedups");
            assertThat(e.getInit()).isEqualTo("PyInit__speedups");
            assertThat(e.getRecipe()).isEqualTo("markupsafe");
        });
        assertThat(built.getStatus().getConditions()).anySatisfy(c -> {
            assertThat(c.getType()).isEqualTo("Built");
            assertThat(c.getReason()).isEqualTo("Built");
        });

        // The same recipe under another name: same key, the artifact is reused, nothing is built.
        createExtension("markupsafe-again", catalogue("markupsafe"));
        PyModeExtension again = awaitReady("markupsafe-again");
        assertThat(again.getStatus().getArtifact().getDigest()).isEqualTo(artifact.getDigest());
        assertThat(again.getStatus().getArtifact().getCacheHit()).isTrue();

        PyModeWorker worker = Workers.inline(NS, "escaper", HANDLER);
        worker.getSpec().setExtensions(List.of(new LocalObjectReference("markupsafe")));
        client.resource(worker).create();

        PyModeWorker ready = Ready.await(client, PyModeWorker.class, NS, "escaper", BUILD_TIMEOUT);
        // spec.wizer unset: a snapshot where one can be made; this entry loads a C extension, so none, and why
        assertThat(ready.getStatus().getArtifact().getSnapshot())
                .startsWith("skipped: entry ").contains("imports the C extension markupsafe._speedups");
        String url = ready.getStatus().getDeployment().getUrl().replaceAll("/$", "") + "/?name=%3Cscript%3E";
        HttpResponse<String> answer = Edge.send(EndToEndResource.cloudflare.baseUrl(), url, "GET", null);
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        JsonNode body = new ObjectMapper().readTree(answer.body());
        assertThat(body.path("escaped").asText()).isEqualTo("&lt;script&gt;");
        assertThat(body.path("c_speedups").asBoolean()).isTrue();
        assertThat(body.path("loader").asText()).isEqualTo("ExtensionFileLoader");
        assertThat(body.path("file").asText()).isEqualTo(
                "/lib/site/markupsafe/_speedups.cpython-313-wasm32-wasi.so");
    }

    @Test
    void aRecipeWhoseArchiveDoesNotMatchItsChecksumStallsAtOnceWithTheBuildersLine() {
        Namespaces.ensure(client, NS);
        var recipe = new Recipe();
        recipe.setName("markupsafe");
        recipe.setVersion("3.0.2");
        var source = new RecipeSource();
        source.setPypi("markupsafe");
        source.setFilename("markupsafe-3.0.2.tar.gz");
        source.setSha256("0".repeat(64));
        recipe.setSource(source);
        var module = new RecipeModule();
        module.setInit("PyInit__speedups");
        module.setSources(List.of("src/markupsafe/_speedups.c"));
        recipe.getModules().put("markupsafe._speedups", module);
        recipe.getPackages().put("markupsafe", "src/markupsafe");
        var spec = new PyModeExtensionSpec();
        spec.setInline(recipe);
        createExtension("bad-checksum", spec);

        Condition built = await().atMost(BUILD_TIMEOUT).pollInterval(Duration.ofSeconds(1)).until(
                () -> extension("bad-checksum"), e -> e.getStatus() != null && Conditions.find(
                        e.getStatus().getConditions(), "Built").filter(c -> "SourceChecksumMismatch".equals(c.getReason()))
                        .isPresent())
                .getStatus().getConditions().stream().filter(c -> "Built".equals(c.getType())).findFirst().orElseThrow();
        assertThat(built.getStatus()).isEqualTo("False");
        assertThat(built.getMessage()).contains("sha256").contains("pinned " + "0".repeat(64))
                .doesNotContain("\n");
        // a checksum is deterministic: stalled at once, one attempt
        assertThat(Conditions.find(extension("bad-checksum").getStatus().getConditions(), "Stalled")).get()
                .satisfies(c -> assertThat(c.getReason()).isEqualTo("SourceChecksumMismatch"));
        assertThat(extension("bad-checksum").getStatus().getBuild().getFailedAttempts()).isEqualTo(1);
        assertThat(extension("bad-checksum").getStatus().getArtifact()).isNull();
    }
}
