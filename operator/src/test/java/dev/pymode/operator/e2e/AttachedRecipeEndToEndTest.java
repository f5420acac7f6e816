package dev.pymode.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pymode.operator.api.v1alpha1.extension.PyModeExtension;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorker;
import dev.pymode.operator.status.Conditions;
import dev.pymode.operator.support.Edge;
import dev.pymode.operator.support.EndToEndResource;
import dev.pymode.operator.support.Namespaces;
import dev.pymode.operator.support.Ready;
import dev.pymode.operator.support.Workers;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.fabric8.kubernetes.client.KubernetesClient;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A catalogue recipe attached automatically, on real parts: a worker with {@code packages: [zstandard]} and no
 * PyModeExtension (zstandard publishes no pure-Python wheel and has no pure-Python mode). The real builder asks for
 * the recipe, the operator builds it (the real extension builder, zig and wasm-ld) and the bundle with it; the worker
 * deploys to the stand-in and compresses through zstandard's C backend in workerd, and its status names the recipe.
 */
@QuarkusTest
@QuarkusTestResource(value = EndToEndResource.class, restrictToAnnotatedClass = true)
@Tag("e2e")
class AttachedRecipeEndToEndTest {

    private static final String NS = "e2e-attached-recipes";
    private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(15);
    private static final String HANDLER = """
            import zstandard
            from pymode.workers import Response

            def on_fetch(request, env):
                data = b"pymode attaches catalogue recipes " * 200
                frame = zstandard.ZstdCompressor(level=3).compress(data)
                return Response.json({
                    "backend": zstandard.backend,
                    "version": zstandard.__version__,
                    "roundtrip": zstandard.ZstdDecompressor().decompress(frame) == data,
                    "smaller": len(frame) < len(data),
                })
            """;

    @Inject
    KubernetesClient client;

    @Test
    void aWorkerWhosePackageNeedsACatalogueRecipeGetsItAttachedDeploysAndAnswersThroughTheCCode() throws Exception {
        Namespaces.ensure(client, NS);
        PyModeWorker worker = Workers.inline(NS, "zstd", HANDLER);
        worker.getSpec().setPackages(List.of("zstandard"));
        client.resource(worker).create();

        PyModeWorker ready = Ready.await(client, PyModeWorker.class, NS, "zstd", BUILD_TIMEOUT);
        assertThat(ready.getSpec().getAutoAttachRecipes()).as("the default").isTrue();
        assertThat(ready.getStatus().getAttachedRecipes()).singleElement().satisfies(r -> {
            assertThat(r.getRecipe()).isEqualTo("zstandard");
            assertThat(r.getVersion()).isEqualTo("0.25.0");
            assertThat(r.getDistribution()).isEqualTo("zstandard");
            assertThat(r.getArtifact().getRef()).matches(".*/pymode/extensions@sha256:[0-9a-f]{64}");
        });
        String attached = "attached catalogue recipes: zstandard 0.25.0 for zstandard";
        assertThat(Conditions.find(ready.getStatus().getConditions(), "Built")).get()
                .satisfies(c -> assertThat(c.getMessage()).endsWith(attached));
        assertThat(Conditions.find(ready.getStatus().getConditions(), "Ready")).get()
                .satisfies(c -> assertThat(c.getMessage()).contains(attached));
        assertThat(client.resources(PyModeExtension.class).inNamespace(NS).list().getItems())
                .as("no PyModeExtension was made for it").isEmpty();
        assertThat(client.v1().events().inNamespace(NS).list().getItems()).anySatisfy(e -> {
            assertThat(e.getInvolvedObject().getName()).isEqualTo("zstd");
            assertThat(e.getReason()).isEqualTo("RecipeAttached");
            assertThat(e.getMessage()).contains("zstandard 0.25.0 for zstandard");
        });

        String url = ready.getStatus().getDeployment().getUrl().replaceAll("/$", "") + "/";
        HttpResponse<String> answer = Edge.send(EndToEndResource.cloudflare.baseUrl(), url, "GET", null);
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        JsonNode body = new ObjectMapper().readTree(answer.body());
        assertThat(body.path("backend").asText()).isEqualTo("cext");
        assertThat(body.path("version").asText()).isEqualTo("0.25.0");
        assertThat(body.path("roundtrip").asBoolean()).isTrue();
        assertThat(body.path("smaller").asBoolean()).isTrue();
    }
}
