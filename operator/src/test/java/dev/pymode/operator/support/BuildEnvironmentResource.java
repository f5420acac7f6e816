package dev.pymode.operator.support;

import java.nio.file.Path;
import java.util.Map;

import dev.pymode.devenv.LocalRegistry;

/**
 * Everything a build needs, real: the API server (via {@link RealApiServerResource}), an OCI registry on
 * loopback with the runtime artifact published to it, and the operator configured for local builds.
 */
public class BuildEnvironmentResource extends RegistryApiServerResource {

    /** The running registry, for tests that take it down and bring it back. */
    public static LocalRegistry registry;
    public static Path buildDir;

    public BuildEnvironmentResource() {
        super("pymode-build-it", "the build environment");
    }

    @Override
    protected void configure(Path root, LocalRegistry started, Map<String, String> config) throws Exception {
        registry = started;
        buildDir = root.resolve("builds");
        String runtimeRef = Builder.publishRuntime(registry.host());
        config.put("pymode.registry.host", registry.host());
        config.put("pymode.registry.plain-http", "true");
        config.put("pymode.runtime.ref", runtimeRef);
        config.put("pymode.builder.mode", "local");
        config.put("pymode.builder.local-work-dir", buildDir.toString());
        config.put("pymode.builder.max-attempts", "2");
        config.put("pymode.builder.retry-base-delay", "1s");
        config.put("pymode.repo-root", TestPaths.repoRoot().toString());
        config.put("pymode.builder.oras", Builder.environment().get("PYMODE_ORAS"));
    }
}
