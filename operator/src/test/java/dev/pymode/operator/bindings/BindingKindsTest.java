package dev.pymode.operator.bindings;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.pymode.cloudflare.Binding;
import dev.pymode.operator.api.v1alpha1.worker.D1Binding;
import dev.pymode.operator.api.v1alpha1.worker.KvBinding;
import dev.pymode.operator.api.v1alpha1.worker.QueueBinding;
import dev.pymode.operator.api.v1alpha1.worker.R2Binding;
import dev.pymode.operator.api.v1alpha1.worker.ServiceBinding;
import dev.pymode.operator.api.v1alpha1.worker.WorkerBindings;
import dev.pymode.operator.builds.BuildKey;
import dev.pymode.operator.support.TestPaths;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The operator's binding-kind registry, and its agreement with the JavaScript and Python registries. */
@Tag("unit")
class BindingKindsTest {

    private static WorkerBindings everyKind() {
        WorkerBindings b = new WorkerBindings();
        KvBinding kv = new KvBinding();
        kv.setName("CACHE");
        kv.setNamespace("cache");
        R2Binding r2 = new R2Binding();
        r2.setName("FILES");
        r2.setBucket("files");
        D1Binding d1 = new D1Binding();
        d1.setName("DB");
        d1.setDatabase("db");
        QueueBinding queue = new QueueBinding();
        queue.setName("JOBS");
        queue.setQueue("jobs");
        ServiceBinding service = new ServiceBinding();
        service.setName("AUTH");
        service.setService("auth-worker");
        ServiceBinding named = new ServiceBinding();
        named.setName("ADMIN");
        named.setService("auth-worker");
        named.setEntrypoint("Admin");
        b.setKv(List.of(kv));
        b.setR2(List.of(r2));
        b.setD1(List.of(d1));
        b.setQueues(List.of(queue));
        b.setServices(List.of(service, named));
        return b;
    }

    @Test
    void everyKindBecomesItsUploadBindingAndItsDeclarationEntry() {
        var resolved = new BindingKinds.Resolved(Map.of("kv", Map.of("CACHE", "ns-id"), "r2", Map.of("FILES", "files"),
                "d1", Map.of("DB", "db-uuid"), "queue", Map.of("JOBS", "jobs"),
                "service", Map.of("AUTH", "auth-worker", "ADMIN", "auth-worker#Admin")));
        Map<String, String> declaration = new LinkedHashMap<>();
        List<Binding> metadata = BindingKinds.metadata(everyKind(), resolved, declaration);
        assertThat(metadata).containsExactly(new Binding.KvNamespace("CACHE", "ns-id"),
                new Binding.R2Bucket("FILES", "files", null), new Binding.D1("DB", "db-uuid"),
                new Binding.Queue("JOBS", "jobs"), new Binding.Service("AUTH", "auth-worker", null),
                new Binding.Service("ADMIN", "auth-worker", "Admin"));
        assertThat(metadata.get(3).toJson().toString()).isEqualTo("{\"name\":\"JOBS\",\"type\":\"queue\",\"queue_name\":\"jobs\"}");
        assertThat(metadata.get(5).toJson().toString())
                .isEqualTo("{\"name\":\"ADMIN\",\"type\":\"service\",\"service\":\"auth-worker\",\"entrypoint\":\"Admin\"}");
        assertThat(declaration).containsExactly(Map.entry("CACHE", "kv"), Map.entry("FILES", "r2"), Map.entry("DB", "d1"),
                Map.entry("JOBS", "queue"), Map.entry("AUTH", "service"), Map.entry("ADMIN", "service"));
        // read back from script settings, the same bindings (drift detection compares these)
        metadata.forEach(m -> assertThat(Binding.fromJson(m.toJson())).isEqualTo(m));
    }

    @Test
    void anUnresolvedBindingIsAnErrorNotAnEmptyId() {
        var partial = new BindingKinds.Resolved(Map.of("kv", Map.of("CACHE", "ns-id")));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> BindingKinds.metadata(everyKind(), partial, new LinkedHashMap<>()))
                .hasMessageContaining("r2 binding FILES was not resolved");
    }

    @Test
    void ownedResourcesAreWhatResourcePolicyDeleteMayRemove() {
        Map<String, List<String>> owned = new LinkedHashMap<>();
        BindingKinds.ownedResources(everyKind()).forEach((k, v) -> owned.put(k.name(), v));
        assertThat(owned).containsExactly(Map.entry("kv", List.of("cache")), Map.entry("r2", List.of("files")),
                Map.entry("d1", List.of("db")), Map.entry("queue", List.of("jobs")), Map.entry("service", List.of()));
    }

    @Test
    void theBuildKeyKnowsNoBindingKind() {
        // binding kinds are deploy inputs (SpecInputsTest); the key is made of source, packages, extensions,
        // runtime, wizer and toolchain only, and the runtime (python.wasm) names no kind (docs/abi.md §2)
        List<String> components = Arrays.stream(BuildKey.class.getRecordComponents()).map(RecordComponent::getName).toList();
        assertThat(components).containsExactly("sourceDigest", "entry", "packages", "extensionDigests", "runtimeRef",
                "wizer", "toolchain");
    }

    @Test
    void theOperatorJavaScriptAndPythonRegistriesListTheSameDeclaredKinds() throws Exception {
        Path root = TestPaths.repoRoot();
        List<String> java = BindingKinds.ALL.stream().map(BindingKind::name).toList();
        // worker/src/bindings/registry.ts: the declared kinds are the descriptors with scope "declared"
        String registry = Files.readString(root.resolve("worker/src/bindings/registry.ts"));
        Matcher list = Pattern.compile("BINDING_KINDS: readonly BindingKind\\[] = \\[([^]]*)]").matcher(registry);
        assertThat(list.find()).as("BINDING_KINDS in registry.ts").isTrue();
        List<String> declaredTs = Arrays.stream(list.group(1).split(",")).map(String::trim).filter(v -> {
            try {
                String module = Files.readString(root.resolve("worker/src/bindings/" + fileOf(registry, v) + ".ts"));
                return module.contains("scope: \"declared\"");
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        }).map(v -> kindName(root, registry, v)).toList();
        assertThat(declaredTs).as("declared kinds of worker/src/bindings/registry.ts").isEqualTo(java);
        String env = Files.readString(root.resolve("pylib/pymode/env.py"));
        Matcher py = Pattern.compile("BINDING_KINDS = \\{([^}]*)}").matcher(env);
        assertThat(py.find()).as("BINDING_KINDS in pylib/pymode/env.py").isTrue();
        List<String> python = Pattern.compile("\"([a-z0-9_]+)\":").matcher(py.group(1)).results().map(m -> m.group(1)).toList();
        assertThat(python).as("kinds of pylib's BINDING_KINDS").isEqualTo(java);
    }

    /** The module a registry.ts import names for a descriptor variable. */
    private static String fileOf(String registry, String variable) {
        Matcher m = Pattern.compile("import \\{ " + Pattern.quote(variable) + " } from \"\\./([a-z0-9]+)\"").matcher(registry);
        if (!m.find()) {
            throw new IllegalStateException("registry.ts does not import " + variable);
        }
        return m.group(1);
    }

    private static String kindName(Path root, String registry, String variable) {
        try {
            String module = Files.readString(root.resolve("worker/src/bindings/" + fileOf(registry, variable) + ".ts"));
            Matcher m = Pattern.compile("name: \"([a-z0-9_]+)\"").matcher(module);
            if (!m.find()) {
                throw new IllegalStateException("no kind name in the module of " + variable);
            }
            return m.group(1);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
