package dev.pymode.operator.builds;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import dev.pymode.operator.api.v1alpha1.worker.CloudflareTarget;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorkerSpec;
import dev.pymode.operator.api.v1alpha1.worker.Rollout;
import dev.pymode.operator.api.v1alpha1.worker.WorkerBindings;
import dev.pymode.operator.api.v1alpha1.worker.WorkerRoute;
import dev.pymode.operator.api.v1alpha1.worker.WorkerRouting;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The build key decides whether a fleet rebuilds: every build input moves it, no deploy setting does, and keys of
 * unchanged inputs stay what they were (a changed key rebuilds every worker after an operator upgrade).
 */
@Tag("unit")
class BuildKeyTest {

    private static final String SOURCE = "sha256:" + "a".repeat(64);
    private static final String RUNTIME = "registry.example/pymode/runtime@sha256:" + "1".repeat(64);
    private static final String TOOLCHAIN = "sha256:" + "2".repeat(64);
    /** The key of {@link #spec()} as main computed it before this test existed. */
    private static final String PINNED = "a1a94f3cf1b18bc7554b91861736ad44496ad6283a2c7e78e77d6a6495c22eb4";

    private static PyModeWorkerSpec spec() {
        var spec = new PyModeWorkerSpec();
        spec.setPackages(List.of("attrs==24.2.0", "six"));
        return spec;
    }

    private static BuildKey key(PyModeWorkerSpec spec) {
        return BuildKey.forWorker(spec, SOURCE, "src/entry.py", Map.of("ext-a", "sha256:" + "3".repeat(64)), RUNTIME,
                TOOLCHAIN);
    }

    @Test
    void aKeyOfUnchangedInputsStaysTheKeyItWas() {
        // pinned: a change here rebuilds every existing worker's bundle (bump BuildKey.SCHEME on purpose only)
        assertThat(key(spec()).hash()).isEqualTo(PINNED);
        assertThat(key(spec()).tag()).isEqualTo("bk-" + PINNED).hasSizeLessThanOrEqualTo(128).matches("[A-Za-z0-9_.-]+");
    }

    static List<Consumer<PyModeWorkerSpec>> deploySettings() {
        return List.of(
                s -> s.setBindings(bindingsWithVar()),
                s -> s.setRouting(new WorkerRouting()),
                s -> s.setCrons(List.of("*/5 * * * *")),
                s -> s.setSuspend(true),
                s -> s.setCloudflare(cloudflare(c -> c.setCompatibilityDate("2026-01-01"))),
                s -> s.setCloudflare(cloudflare(c -> c.setCompatibilityFlags(List.of("nodejs_compat")))),
                s -> s.setCloudflare(cloudflare(c -> c.setScriptName("other"))),
                s -> s.setCloudflare(cloudflare(c -> c.setWorkersDev(false))),
                s -> s.setCloudflare(cloudflare(c -> c.setRoutes(List.of(new WorkerRoute())))),
                s -> s.setCloudflare(cloudflare(c -> c.setRollout(new Rollout()))));
    }

    @ParameterizedTest
    @MethodSource("deploySettings")
    void aDeploySettingLeavesTheKeyAlone(Consumer<PyModeWorkerSpec> change) {
        var changed = spec();
        change.accept(changed);
        assertThat(key(changed)).isEqualTo(key(spec()));
    }

    @Test
    void theSpecsBuildInputsMoveTheKey() {
        var morePackages = spec();
        morePackages.setPackages(List.of("attrs==24.2.0", "six", "idna"));
        var reordered = spec();
        reordered.setPackages(List.of("six", "attrs==24.2.0")); // pip resolves in the order given
        var snapshot = spec();
        snapshot.setWizer(true);
        var noSnapshot = spec();
        noSnapshot.setWizer(false);
        assertThat(List.of(key(morePackages), key(reordered), key(snapshot), key(noSnapshot)))
                .extracting(BuildKey::hash).doesNotContain(key(spec()).hash()).doesNotHaveDuplicates();
    }

    @Test
    void everyResolvedInputMovesTheKey() {
        BuildKey base = key(spec());
        List<BuildKey> changed = List.of(
                new BuildKey("sha256:" + "b".repeat(64), base.entry(), base.packages(), base.extensionDigests(),
                        base.runtimeRef(), base.wizer(), base.toolchain()),
                new BuildKey(base.sourceDigest(), "app.py", base.packages(), base.extensionDigests(), base.runtimeRef(),
                        base.wizer(), base.toolchain()),
                new BuildKey(base.sourceDigest(), base.entry(), base.packages(), Map.of(), base.runtimeRef(),
                        base.wizer(), base.toolchain()),
                new BuildKey(base.sourceDigest(), base.entry(), base.packages(),
                        Map.of("ext-a", "sha256:" + "4".repeat(64)), base.runtimeRef(), base.wizer(), base.toolchain()),
                new BuildKey(base.sourceDigest(), base.entry(), base.packages(), base.extensionDigests(),
                        RUNTIME.replace('1', '5'), base.wizer(), base.toolchain()),
                new BuildKey(base.sourceDigest(), base.entry(), base.packages(), base.extensionDigests(),
                        base.runtimeRef(), base.wizer(), "sha256:" + "6".repeat(64)));
        assertThat(changed).extracting(BuildKey::hash).doesNotContain(base.hash()).doesNotHaveDuplicates();
    }

    @Test
    void theOrderExtensionsAreListedInDoesNotMatter() {
        Map<String, String> ab = new LinkedHashMap<>();
        ab.put("a", "sha256:1");
        ab.put("b", "sha256:2");
        Map<String, String> ba = new LinkedHashMap<>();
        ba.put("b", "sha256:2");
        ba.put("a", "sha256:1");
        assertThat(BuildKey.forWorker(spec(), SOURCE, "e.py", ab, RUNTIME, TOOLCHAIN).hash())
                .isEqualTo(BuildKey.forWorker(spec(), SOURCE, "e.py", ba, RUNTIME, TOOLCHAIN).hash());
    }

    private static WorkerBindings bindingsWithVar() {
        var bindings = new WorkerBindings();
        bindings.setVars(Map.of("GREETING", "hello"));
        return bindings;
    }

    private static CloudflareTarget cloudflare(Consumer<CloudflareTarget> change) {
        var target = new CloudflareTarget();
        change.accept(target);
        return target;
    }
}
