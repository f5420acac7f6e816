package dev.pymode.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import dev.pymode.delivery.support.Lua;
import dev.pymode.delivery.support.Repo;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.utils.Serialization;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * hack/argocd/health.lua in real Lua interpreters (5.1, Argo CD's dialect, and 5.4) against sample statuses, and
 * the argocd-cm patch that installs it.
 */
class ArgoCdHealthTest {

    private static final Path SCRIPT = Repo.argocd().resolve("health.lua");

    static Stream<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        for (Path lua : Lua.interpreters()) {
            cases.add(Arguments.of(lua, "ready", "Healthy", "Succeeded: version 3 serves 100% of traffic"));
            cases.add(Arguments.of(lua, "reconciling", "Progressing", "Building: Built: started build pymode-build-3f2a"));
            cases.add(Arguments.of(lua, "stalled", "Degraded",
                    "RegistryNotConfigured: Built: no OCI registry is configured (pymode.registry.host); "
                            + "bundles cannot be stored"));
            cases.add(Arguments.of(lua, "stale-generation", "Progressing",
                    "Waiting for the operator to observe generation 3 (status describes 2)"));
            cases.add(Arguments.of(lua, "stale-ready-condition", "Progressing",
                    "Ready describes generation 2, the resource is at generation 3"));
            cases.add(Arguments.of(lua, "suspended", "Suspended",
                    "Suspended (spec.suspend is true): the operator does not reconcile this resource"));
            cases.add(Arguments.of(lua, "no-status", "Progressing", "Waiting for the PyMode operator to report a status"));
            cases.add(Arguments.of(lua, "extension-stalled", "Degraded",
                    "RecipeNotFound: SourceReady: no recipe named 'no-such-recipe' in the catalogue; "
                            + "use spec.inline for your own recipe"));
            cases.add(Arguments.of(lua, "workflow-waiting", "Progressing",
                    "WorkerNotReady: WorkerReady: waiting for PyModeWorker apps/api-worker to become Ready"));
            cases.add(Arguments.of(lua, "ready-false-only", "Progressing",
                    "WorkerNotReady: WorkerReady: waiting for PyModeWorker apps/api-worker"));
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{1} with {0}")
    @MethodSource("cases")
    void healthOfSampleStatuses(Path lua, String fixture, String status, String message, @TempDir Path tmp)
            throws Exception {
        Lua.Health health = Lua.run(lua, SCRIPT, Fixtures.load(fixture), tmp);
        assertThat(health.status()).isEqualTo(status);
        assertThat(health.message()).isEqualTo(message);
    }

    @Test
    void interpretersAreTheDialectsWeClaim() throws Exception {
        List<String> versions = new ArrayList<>();
        for (Path lua : Lua.interpreters()) {
            versions.add(Lua.version(lua));
        }
        assertThat(versions).containsExactly("Lua 5.1", "Lua 5.4");
    }

    @Test
    void scriptsSeeOnlyWhatArgoCdOffers(@TempDir Path tmp) throws Exception {
        Path probe = tmp.resolve("probe.lua");
        Files.writeString(probe, "local hs = {}\nhs.status = \"Healthy\"\n"
                + "hs.message = tostring(io) .. \" \" .. tostring(os) .. \" \" .. obj.kind\nreturn hs\n");
        Path leaky = tmp.resolve("leaky.lua");
        Files.writeString(leaky, "hs = {}\nhs.status = \"Healthy\"\nreturn hs\n");
        for (Path lua : Lua.interpreters()) {
            assertThat(Lua.run(lua, probe, Map.of("kind", "PyModeWorker"), tmp).message())
                    .isEqualTo("nil nil PyModeWorker");
            assertThatThrownBy(() -> Lua.run(lua, leaky, Map.of(), tmp))
                    .hasMessageContaining("health.lua assigns the global hs");
        }
    }

    @Test
    void argocdConfigMapPatchInstallsTheScriptForEveryKind() throws IOException {
        Path patch = Repo.gitops().resolve("argocd/argocd-cm-health.yaml");
        ConfigMap configMap;
        try (InputStream in = Files.newInputStream(patch)) {
            configMap = Serialization.unmarshal(in, ConfigMap.class);
        }
        assertThat(configMap.getMetadata().getName()).isEqualTo("argocd-cm");
        String script = Files.readString(SCRIPT);
        assertThat(configMap.getData()).containsOnlyKeys(
                "resource.customizations.health.pymode.dev_PyModeWorker",
                "resource.customizations.health.pymode.dev_PyModeExtension",
                "resource.customizations.health.pymode.dev_PyModeWorkflow");
        assertThat(configMap.getData().values()).as("%s is stale: run hack/argocd/render-argocd-cm.sh", patch)
                .allSatisfy(embedded -> assertThat(embedded).isEqualTo(script));
    }
}
