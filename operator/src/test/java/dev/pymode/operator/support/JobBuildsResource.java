package dev.pymode.operator.support;

import java.nio.file.Path;
import java.util.Map;

import dev.pymode.devenv.LocalRegistry;

/**
 * The operator as it runs in a cluster, builds as Jobs, on a real API server and an empty registry; no kubelet
 * and no Job controller: tests play them by writing Job and Pod status. Nothing is built, so the runtime and
 * builder image are references that need not resolve.
 */
public class JobBuildsResource extends RegistryApiServerResource {

    public JobBuildsResource() {
        super("pymode-job-builds", "the registry");
    }

    @Override
    protected void configure(Path root, LocalRegistry registry, Map<String, String> config) {
        config.put("pymode.registry.host", registry.host());
        config.put("pymode.registry.plain-http", "true");
        config.put("pymode.runtime.ref", registry.host() + "/pymode/runtime@sha256:" + "1".repeat(64));
        config.put("pymode.builder.mode", "job");
        config.put("pymode.builder.image", "registry.example/pymode/builder@sha256:" + "2".repeat(64));
    }
}
