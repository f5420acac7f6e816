package dev.pymode.operator.builds;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** spec.wizer in the build key and on the builder's command line (unset = a snapshot whenever one can be made). */
@Tag("unit")
class SnapshotModeTest {

    private static BuildKey key(Boolean wizer) {
        return new BuildKey("sha256:src", "src/entry.py", List.of("six"), Map.of(), "reg/runtime@sha256:rt",
                SnapshotMode.of(wizer), "toolchain-1");
    }

    /** The key as it was computed while spec.wizer was a boolean defaulting to false. */
    private static String keyBeforeTheModes(boolean wizer) {
        Map<String, Object> canonical = new TreeMap<>();
        canonical.put("scheme", BuildKey.SCHEME);
        canonical.put("source", "sha256:src");
        canonical.put("entry", "src/entry.py");
        canonical.put("packages", List.of("six"));
        canonical.put("extensions", new TreeMap<>());
        canonical.put("runtime", "reg/runtime@sha256:rt");
        canonical.put("wizer", wizer);
        canonical.put("compatibilityDate", "");
        canonical.put("toolchain", "toolchain-1");
        return CanonicalHash.of(canonical);
    }

    @Test
    void workersThatSetTheFieldKeepTheirKeysSoNothingRebuilds() {
        assertThat(key(false).hash()).isEqualTo(keyBeforeTheModes(false));
        assertThat(key(true).hash()).isEqualTo(keyBeforeTheModes(true));
    }

    @Test
    void unsetIsItsOwnBuildInput() {
        assertThat(key(null).hash()).isNotIn(key(false).hash(), key(true).hash());
    }

    @Test
    void theBuilderIsToldTheMode() {
        assertThat(BuilderCommand.workerArguments(key(null), List.of(), List.of(), "reg/b:t", "rev")).contains("--wizer=auto");
        assertThat(BuilderCommand.workerArguments(key(true), List.of(), List.of(), "reg/b:t", "rev")).contains("--wizer=on");
        assertThat(BuilderCommand.workerArguments(key(false), List.of(), List.of(), "reg/b:t", "rev"))
                .noneMatch(a -> a.startsWith("--wizer"));
    }
}
