package dev.pymode.operator.apiserver;

import java.util.Map;

import dev.pymode.operator.config.PyModeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;

/** The operator's settings for the builder-Job tests: a local registry, a runtime and a builder image by digest. */
final class JobTestSettings {

    private JobTestSettings() {
    }

    /** {@code runtimeDigit} fills the runtime's digest: another runtime is another build key (the registry is shared). */
    static PyModeConfig forRegistry(String registryHost, String runtimeDigit) {
        return new SmallRyeConfigBuilder().withMapping(PyModeConfig.class).withDefaultValues(Map.of(
                "pymode.registry.host", registryHost,
                "pymode.registry.plain-http", "true",
                "pymode.registry.push-secret", "registry-push",
                "pymode.runtime.ref", registryHost + "/pymode/runtime@sha256:" + runtimeDigit.repeat(64),
                "pymode.builder.image", "registry.example/pymode/builder@sha256:" + "2".repeat(64),
                "pymode.builder.max-attempts", "3"))
                .build().getConfigMapping(PyModeConfig.class);
    }
}
