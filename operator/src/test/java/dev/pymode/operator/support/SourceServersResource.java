package dev.pymode.operator.support;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import dev.pymode.devenv.GitServer;
import dev.pymode.devenv.LocalRegistry;

/**
 * The API server (via {@link RealApiServerResource}) plus the servers sources come from: a real git server
 * (git http-backend on loopback) and a real OCI registry on loopback. No builds: workers stop at Built.
 */
public class SourceServersResource extends RealApiServerResource {

    public static GitServer git;
    public static LocalRegistry registry;

    @Override
    public Map<String, String> start() {
        Map<String, String> config = new HashMap<>(super.start());
        try {
            Path root = Files.createTempDirectory("pymode-sources-it");
            git = new GitServer(root.resolve("git"));
            registry = new LocalRegistry(root.resolve("registry")).start();
            config.put("pymode.source.work-dir", root.resolve("operator-cache").toString());
            return config;
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the source servers: " + e.getMessage(), e);
        }
    }

    @Override
    public void stop() {
        if (git != null) {
            git.close();
        }
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
