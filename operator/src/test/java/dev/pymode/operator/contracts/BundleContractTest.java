package dev.pymode.operator.contracts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pymode.cloudflare.Binding;
import dev.pymode.cloudflare.WorkerModule;
import dev.pymode.cloudflare.WorkerUpload;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorkerSpec;
import dev.pymode.operator.bindings.BindingKinds;
import dev.pymode.operator.deploy.BundleStore;
import dev.pymode.operator.deploy.InvalidDeployInputException;
import dev.pymode.operator.deploy.WorkerUploadFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/**
 * bundle.json at the operator's end (schemas/bundle.schema.json): the upload is made from every valid example, and
 * every invalid one the operator reads is refused as an input error (the Deployed stage stalls until a new build)
 * with its message (schemas/examples/bundle/rejections.json). The writer's end is worker/test/contracts.test.ts
 * (bundles scripts/bundle.mjs writes).
 */
@Tag("unit")
class BundleContractTest {

    private final WorkerUploadFactory uploads = new WorkerUploadFactory(Contracts.JSON);

    /** A bundle of {@code manifest} with a file for each module it lists and the assets it declares. */
    static BundleStore.Bundle withFiles(String digest, JsonNode manifest) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (JsonNode module : manifest.path("modules")) {
            files.put(module.path("name").asText(), ("content of " + module.path("name").asText()).getBytes(StandardCharsets.UTF_8));
        }
        JsonNode assets = manifest.path("assets");
        if (assets.isObject()) {
            int count = assets.path("files").asInt(1);
            long size = assets.path("size").asLong(count);
            for (int i = 0; i < count; i++) {
                int length = (int) (size / count + (i == count - 1 ? size % count : 0));
                files.put(assets.path("directory").asText() + "/__pymode/stdlib/group" + i + ".bin", new byte[length]);
            }
        }
        files.put("bundle.json", manifest.toString().getBytes(StandardCharsets.UTF_8));
        return new BundleStore.Bundle(digest, files, manifest);
    }

    private WorkerUpload upload(String file, JsonNode manifest) {
        return uploads.build(withFiles("sha256:" + file, manifest), new PyModeWorkerSpec(), BindingKinds.Resolved.none(),
                Map.of(), List.of(), "contract test");
    }

    @Test
    void theUploadIsMadeFromEveryValidExample() {
        Contracts.examples("bundle", "valid").forEach((file, manifest) -> {
            WorkerUpload upload = upload(file, manifest);
            assertThat(upload.mainModule()).as(file).isEqualTo(manifest.path("main_module").asText());
            assertThat(upload.modules().stream().map(WorkerModule::name)).as(file)
                    .containsExactlyElementsOf(manifest.path("modules").findValuesAsText("name"));
            // static assets are read through the account's shared script (SharedAssetsScript), bound by their name
            assertThat(upload.assets()).as(file).isEmpty();
            assertThat(upload.bindings().stream().anyMatch(b -> b instanceof Binding.Service s
                    && s.name().equals(manifest.path("assets").path("binding").asText())
                    && s.service().startsWith("pymode-assets-"))).as(file).isEqualTo(manifest.has("assets"));
        });
    }

    @Test
    void everyInvalidExampleTheOperatorReadsIsRefusedWithItsError() {
        Contracts.examples("bundle", "invalid").forEach((file, manifest) -> {
            String expected = Contracts.rejection("bundle", file, "operator");
            if (expected != null) {
                assertThatThrownBy(() -> upload(file, manifest)).as(file)
                        .isInstanceOf(InvalidDeployInputException.class).hasMessageContaining(expected);
            }
        });
    }
}
