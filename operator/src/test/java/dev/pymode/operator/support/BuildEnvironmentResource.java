package dev.pymode.operator.support;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import dev.pymode.devenv.LocalRegistry;

/**
 * Everything a build needs, real: the API server (via {@link RealApiServerResource}), an OCI registry on
 * loopback with the runtime artifact published to it, and the operator configured for local builds.
 */
public class BuildEnvironmentResource extends RealApiServerResource {

    /** The running registry, for tests that take it down and bring it back. */
    public static LocalRegistry registry;
    public static Path buildDir;

    @Override
    public Map<String, String> start() {
        Map<String, String> config = new HashMap<>(super.start());
        try {
            Path root = Files.createTempDirectory("pymode-build-it");
            registry = new LocalRegistry(root.resolve("registry")).start();
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
            return config;
        } catch (Exception e) {
            throw new IllegalStateException("cannot prepare the build environment: " + e.getMessage(), e);
        }
    }

    @Override
    public void stop() {
        try {
            if (registry != null) {
                registry.close();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        super.stop();
    }
}
