package dev.pymode.operator.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pymode.cloudflare.Binding;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorkerSpec;
import dev.pymode.operator.api.v1alpha1.worker.WorkerBindings;
import dev.pymode.operator.api.v1alpha1.worker.WorkerRouting;
import dev.pymode.operator.bindings.BindingKinds;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The vars the upload gives the Worker: spec.routing reaches worker/README.md's routing vars (issue #15). */
@Tag("unit")
class WorkerUploadFactoryTest {

    private final ObjectMapper mapper = new ObjectMapper();

    private Map<String, String> plainTexts(PyModeWorkerSpec spec) throws Exception {
        var manifest = mapper.readTree("{\"main_module\":\"worker.js\",\"modules\":[{\"name\":\"worker.js\",\"type\":\"esm\"}],"
                + "\"compatibility_date\":\"2026-04-01\"}");
        var bundle = new BundleStore.Bundle("sha256:aa", Map.of("worker.js", "export default {}".getBytes(StandardCharsets.UTF_8)), manifest);
        var upload = new WorkerUploadFactory(mapper).build(bundle, spec, BindingKinds.Resolved.none(), Map.of(), List.of(), "test");
        Map<String, String> vars = new TreeMap<>();
        for (Binding b : upload.bindings()) {
            if (b instanceof Binding.PlainText p) {
                vars.put(p.name(), p.text());
            }
        }
        return vars;
    }

    @Test
    void withoutRoutingTheWorkerKeepsItsDefaultAndNoRoutingVarIsSent() throws Exception {
        var spec = new PyModeWorkerSpec();
        spec.setBindings(new WorkerBindings());
        assertThat(plainTexts(spec)).containsOnlyKeys(WorkerUploadFactory.BINDINGS_DECL);
    }

    @Test
    void routingModesAndTheirSettingsBecomeTheWorkersVars() throws Exception {
        var sharded = new WorkerRouting();
        sharded.setMode(WorkerRouting.Mode.SHARDED);
        sharded.setShards(8);
        sharded.setShardKey("cf-connecting-ip");
        var spec = new PyModeWorkerSpec();
        spec.setRouting(sharded);
        assertThat(plainTexts(spec)).containsEntry("PYMODE_ROUTING", "sharded").containsEntry("PYMODE_SHARDS", "8")
                .containsEntry("PYMODE_SHARD_KEY", "cf-connecting-ip").doesNotContainKey("PYMODE_POOL_MAX_REQUESTS");

        var fresh = new WorkerRouting();
        fresh.setMode(WorkerRouting.Mode.ISOLATE);
        fresh.setMaxRequestsPerInstance(1);
        spec.setRouting(fresh);
        assertThat(plainTexts(spec)).containsEntry("PYMODE_ROUTING", "isolate").containsEntry("PYMODE_POOL_MAX_REQUESTS", "1")
                .doesNotContainKeys("PYMODE_SHARDS", "PYMODE_SHARD_KEY");

        var perRequest = new WorkerRouting();
        perRequest.setMode(WorkerRouting.Mode.PER_REQUEST);
        spec.setRouting(perRequest);
        assertThat(plainTexts(spec)).containsEntry("PYMODE_ROUTING", "per-request");
    }

    @Test
    void theModesJsonNamesAreTheWorkersRoutingValues() throws Exception {
        // The CRD's enum comes from the JSON names; the Worker accepts exactly these (worker/src/runtime/routing-modes.json).
        var modes = mapper.readValue(new java.io.File("../worker/src/runtime/routing-modes.json"), String[].class);
        assertThat(java.util.Arrays.stream(WorkerRouting.Mode.values()).map(m -> mapper.valueToTree(m).asText()))
                .containsExactlyInAnyOrder(modes);
        assertThat(java.util.Arrays.stream(WorkerRouting.Mode.values()).map(WorkerRouting.Mode::varValue))
                .containsExactlyInAnyOrder(modes);
    }
}
