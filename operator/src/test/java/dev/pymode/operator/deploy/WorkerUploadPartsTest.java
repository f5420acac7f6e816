package dev.pymode.operator.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pymode.cloudflare.Binding;
import dev.pymode.cloudflare.ModuleType;
import dev.pymode.cloudflare.WorkerModule;
import dev.pymode.cloudflare.WorkerUpload;
import dev.pymode.operator.api.v1alpha1.worker.CloudflareTarget;
import dev.pymode.operator.api.v1alpha1.worker.KvBinding;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorkerSpec;
import dev.pymode.operator.api.v1alpha1.worker.SecretBinding;
import dev.pymode.operator.api.v1alpha1.worker.WorkerBindings;
import dev.pymode.operator.bindings.BindingKinds;
import dev.pymode.operator.workflow.ScheduleEntry;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The upload a built bundle and a worker's spec become, part by part, without Cloudflare: the bundle's modules and
 * Durable Objects, the bindings of every kind by their resolved ids, vars and secrets, the declaration var the
 * runtime reads, the schedules var, static assets, and the compatibility settings (spec over bundle).
 */
@Tag("unit")
class WorkerUploadPartsTest {

    private final ObjectMapper mapper = new ObjectMapper();

    private static final String MANIFEST = """
            {"main_module": "worker.js",
             "modules": [{"name": "worker.js", "type": "esm"}, {"name": "python.wasm", "type": "compiled-wasm"},
                         {"name": "stdlib.zip", "type": "data"}, {"name": "entry.py", "type": "text"}],
             "durable_objects": [{"binding": "PYTHON_DO", "class_name": "PythonDO"}],
             "migrations": {"new_tag": "v2", "steps": [{"new_sqlite_classes": ["PythonDO"]}, {"new_sqlite_classes": ["PoolDO"]}]},
             "compatibility_date": "2026-04-01", "compatibility_flags": ["nodejs_compat"]%s}
            """;

    private BundleStore.Bundle bundle(String extraManifest, Map<String, byte[]> extraFiles) throws Exception {
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (String name : List.of("worker.js", "python.wasm", "stdlib.zip", "entry.py")) {
            files.put(name, ("contents of " + name).getBytes(StandardCharsets.UTF_8));
        }
        files.putAll(extraFiles);
        return new BundleStore.Bundle("sha256:bb", files, mapper.readTree(MANIFEST.formatted(extraManifest)));
    }

    private WorkerUpload upload(BundleStore.Bundle bundle, PyModeWorkerSpec spec, BindingKinds.Resolved resolved,
                                Map<String, String> secrets, List<ScheduleEntry> schedules) {
        return new WorkerUploadFactory(mapper).build(bundle, spec, resolved, secrets, schedules, "pymode sha256:bb");
    }

    private WorkerUpload upload(PyModeWorkerSpec spec) throws Exception {
        return upload(bundle("", Map.of()), spec, BindingKinds.Resolved.none(), Map.of(), List.of());
    }

    private static String plainText(WorkerUpload upload, String name) {
        return upload.bindings().stream().filter(b -> b instanceof Binding.PlainText p && p.name().equals(name))
                .map(b -> ((Binding.PlainText) b).text()).findFirst().orElse(null);
    }

    @Test
    void theBundlesModulesGoUpWithTheirTypesAndBytes() throws Exception {
        WorkerUpload upload = upload(new PyModeWorkerSpec());
        assertThat(upload.mainModule()).isEqualTo("worker.js");
        assertThat(upload.modules()).extracting(WorkerModule::name, WorkerModule::type).containsExactly(
                org.assertj.core.groups.Tuple.tuple("worker.js", ModuleType.ESM),
                org.assertj.core.groups.Tuple.tuple("python.wasm", ModuleType.COMPILED_WASM),
                org.assertj.core.groups.Tuple.tuple("stdlib.zip", ModuleType.DATA),
                org.assertj.core.groups.Tuple.tuple("entry.py", ModuleType.TEXT));
        assertThat(new String(upload.modules().get(1).content(), StandardCharsets.UTF_8)).isEqualTo("contents of python.wasm");
    }

    @Test
    void aModuleTheManifestListsButTheBundleLacksIsAnError() throws Exception {
        var bundle = new BundleStore.Bundle("sha256:bb", Map.of("worker.js", new byte[0]),
                mapper.readTree(MANIFEST.formatted("")));
        assertThatThrownBy(() -> upload(bundle, new PyModeWorkerSpec(), BindingKinds.Resolved.none(), Map.of(), List.of()))
                .isInstanceOf(InvalidDeployInputException.class)
                .hasMessageContaining("bundle.json lists module 'python.wasm', which the bundle lacks");
        var unknown = new BundleStore.Bundle("sha256:bb", Map.of("worker.js", new byte[0]), mapper.readTree(
                "{\"main_module\": \"worker.js\", \"modules\": [{\"name\": \"worker.js\", \"type\": \"commonjs\"}]}"));
        assertThatThrownBy(() -> upload(unknown, new PyModeWorkerSpec(), BindingKinds.Resolved.none(), Map.of(), List.of()))
                .isInstanceOf(InvalidDeployInputException.class)
                .hasMessageContaining("bundle.json gives module 'worker.js' the unknown type \"commonjs\"");
    }

    @Test
    void theBundlesDurableObjectsAndMigrationsAreBoundUnderOneTag() throws Exception {
        WorkerUpload upload = upload(new PyModeWorkerSpec());
        assertThat(upload.bindings()).contains(new Binding.DurableObjectNamespace("PYTHON_DO", "PythonDO", null));
        assertThat(upload.migrations()).extracting(m -> m.tag() + ":" + m.newSqliteClasses())
                .containsExactly("v2:[PythonDO]", "v2:[PoolDO]");
    }

    @Test
    void bindingsVarsAndSecretsAreSentAndDeclaredForTheRuntime() throws Exception {
        var kv = new KvBinding();
        kv.setName("CACHE");
        kv.setNamespace("cache");
        var secret = new SecretBinding();
        secret.setName("API_KEY");
        var bindings = new WorkerBindings();
        bindings.setKv(List.of(kv));
        bindings.setVars(new LinkedHashMap<>(Map.of("GREETING", "hello")));
        bindings.setSecrets(List.of(secret));
        var spec = new PyModeWorkerSpec();
        spec.setBindings(bindings);
        var resolved = new BindingKinds.Resolved(Map.of("kv", Map.of("CACHE", "ns-id-123")));

        WorkerUpload upload = upload(bundle("", Map.of()), spec, resolved, Map.of("API_KEY", "s3cret"), List.of());
        assertThat(upload.bindings()).contains(new Binding.KvNamespace("CACHE", "ns-id-123"),
                new Binding.PlainText("GREETING", "hello"), new Binding.SecretText("API_KEY", "s3cret"));
        JsonNode declaration = mapper.readTree(plainText(upload, WorkerUploadFactory.BINDINGS_DECL));
        assertThat(mapper.convertValue(declaration, Map.class)).isEqualTo(Map.of("CACHE", "kv", "GREETING", "var",
                "API_KEY", "secret"));
        assertThat(plainText(upload, WorkerUploadFactory.SCHEDULES)).as("no schedules, no var").isNull();
    }

    @Test
    void aBindingThatWasNotResolvedIsAnError() {
        var kv = new KvBinding();
        kv.setName("CACHE");
        kv.setNamespace("cache");
        var spec = new PyModeWorkerSpec();
        spec.setBindings(new WorkerBindings());
        spec.getBindings().setKv(List.of(kv));
        assertThatThrownBy(() -> upload(spec)).hasMessageContaining("kv binding CACHE was not resolved");
    }

    @Test
    void theSchedulesVarSaysWhatEachCronStarts() throws Exception {
        var entry = new ScheduleEntry("0 3 * * *", "nightly", "orders-nightly", null, "Forbid", null, "workflow");
        WorkerUpload upload = upload(bundle("", Map.of()), new PyModeWorkerSpec(), BindingKinds.Resolved.none(),
                Map.of(), List.of(entry));
        JsonNode schedules = mapper.readTree(plainText(upload, WorkerUploadFactory.SCHEDULES));
        assertThat(schedules).hasSize(1);
        assertThat(schedules.get(0).path("cron").asText()).isEqualTo("0 3 * * *");
        assertThat(schedules.get(0).path("workflow").asText()).isEqualTo("nightly");
    }

    @Test
    void theSpecsCompatibilityDateWinsAndFlagsAddUp() throws Exception {
        assertThat(upload(new PyModeWorkerSpec()).metadata(java.util.Optional.empty()).path("compatibility_date")
                .asText()).isEqualTo("2026-04-01");
        var cloudflare = new CloudflareTarget();
        cloudflare.setCompatibilityDate("2026-06-01");
        cloudflare.setCompatibilityFlags(List.of("nodejs_compat", "python_workers"));
        var spec = new PyModeWorkerSpec();
        spec.setCloudflare(cloudflare);
        var metadata = upload(spec).metadata(java.util.Optional.empty());
        assertThat(metadata.path("compatibility_date").asText()).isEqualTo("2026-06-01");
        assertThat(metadata.path("compatibility_flags")).extracting(JsonNode::asText)
                .containsExactly("nodejs_compat", "python_workers");
        assertThat(metadata.path("annotations").path("workers/message").asText()).isEqualTo("pymode sha256:bb");
    }

    @Test
    void theBundlesStaticAssetsAreReadThroughTheAccountsSharedScript() throws Exception {
        var bundle = bundle(", \"assets\": {\"directory\": \"static\", \"binding\": \"ASSETS\", \"files\": 2, \"size\": 9}",
                Map.of("static/index.html", "<h1>".getBytes(StandardCharsets.UTF_8),
                        "static/css/a.css", "a{}\n\n".getBytes(StandardCharsets.UTF_8)));
        WorkerUpload upload = upload(bundle, new PyModeWorkerSpec(), BindingKinds.Resolved.none(), Map.of(), List.of());
        SharedAssetsScript shared = WorkerUploadFactory.sharedAssets(bundle).orElseThrow();
        assertThat(shared.script()).matches("pymode-assets-[0-9a-f]{16}");
        assertThat(upload.bindings()).contains(new Binding.Service("ASSETS", shared.script(), null))
                .doesNotContain(new Binding.Assets("ASSETS"));
        assertThat(upload.assets()).as("the worker carries no files of its own").isEmpty();
        assertThat(upload.modules()).extracting(WorkerModule::name).doesNotContain("static/index.html");

        // the shared script holds them, bound as its own assets, and hands every request to them
        WorkerUpload served = shared.upload();
        assertThat(served.assets()).get().satisfies(a -> assertThat(a.files()).extracting(f -> f.path())
                .containsExactlyInAnyOrder("/index.html", "/css/a.css"));
        assertThat(served.bindings()).containsExactly(new Binding.Assets("ASSETS"));
    }

    @Test
    void equalFilesShareOneScriptAndAnyChangeIsAnother() throws Exception {
        String declared = ", \"assets\": {\"directory\": \"static\", \"binding\": \"ASSETS\", \"files\": 1, \"size\": 4%s}";
        Map<String, byte[]> files = Map.of("static/a.py", "a=1\n".getBytes(StandardCharsets.UTF_8));
        String name = WorkerUploadFactory.sharedAssets(bundle(declared.formatted(""), files)).orElseThrow().script();
        assertThat(WorkerUploadFactory.sharedAssets(bundle(declared.formatted(""), Map.of(
                "static/a.py", "a=1\n".getBytes(StandardCharsets.UTF_8)))).orElseThrow().script()).isEqualTo(name);
        assertThat(WorkerUploadFactory.sharedAssets(bundle(declared.formatted(""), Map.of(
                "static/a.py", "a=2\n".getBytes(StandardCharsets.UTF_8)))).orElseThrow().script())
                .as("other content").isNotEqualTo(name);
        assertThat(WorkerUploadFactory.sharedAssets(bundle(declared.formatted(""), Map.of(
                "static/b.py", "a=1\n".getBytes(StandardCharsets.UTF_8)))).orElseThrow().script())
                .as("another path").isNotEqualTo(name);
        assertThat(WorkerUploadFactory.sharedAssets(bundle(declared.formatted(", \"config\": {\"run_worker_first\": true}"),
                files)).orElseThrow().script()).as("another config").isNotEqualTo(name);
    }

    @Test
    void aSpecBindingNamedLikeTheAssetsBindingIsRefused() throws Exception {
        var bundle = bundle(", \"assets\": {\"directory\": \"static\", \"binding\": \"ASSETS\", \"files\": 1, \"size\": 4}",
                Map.of("static/index.html", "<h1>".getBytes(StandardCharsets.UTF_8)));
        var spec = new PyModeWorkerSpec();
        spec.setBindings(new WorkerBindings());
        spec.getBindings().setVars(Map.of("ASSETS", "x"));
        assertThatThrownBy(() -> upload(bundle, spec, BindingKinds.Resolved.none(), Map.of(), List.of()))
                .isInstanceOfSatisfying(InvalidDeployInputException.class,
                        e -> assertThat(e.reason()).isEqualTo(WorkerUploadFactory.BINDING_NAME_CLASH))
                .hasMessageContaining("binds its static assets as ASSETS");
    }
}
