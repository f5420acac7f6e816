package dev.pymode.operator.support;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import dev.pymode.devenv.LocalRegistry;

/**
 * The API server ({@link RealApiServerResource}) and an OCI registry on loopback under a new temporary directory,
 * stopped with it; a subclass adds the operator settings and servers of its kind of test.
 */
public abstract class RegistryApiServerResource extends RealApiServerResource {

    private final String directoryPrefix;
    private final String what;
    private LocalRegistry registry;

    /** @param what what the subclass prepares, for the error when it cannot ("the source servers") */
    protected RegistryApiServerResource(String directoryPrefix, String what) {
        this.directoryPrefix = directoryPrefix;
        this.what = what;
    }

    /** Adds the operator's settings for this registry (and anything else started under {@code root}). */
    protected abstract void configure(Path root, LocalRegistry registry, Map<String, String> config) throws Exception;

    /** Stops what {@link #configure} started besides the registry; called before the registry stops. */
    protected void stopOthers() {
    }

    @Override
    public Map<String, String> start() {
        Map<String, String> config = new HashMap<>(super.start());
        try {
            Path root = Files.createTempDirectory(directoryPrefix);
            registry = new LocalRegistry(root.resolve("registry")).start();
            configure(root, registry, config);
            return config;
        } catch (Exception e) {
            throw new IllegalStateException("cannot start " + what + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void stop() {
        stopOthers();
        stopServer(registry);
        super.stop();
    }

    /** Stops a loopback server (a registry, the stand-in), if it was started; an interrupt is kept for the caller. */
    protected static void stopServer(AutoCloseable server) {
        if (server == null) {
            return;
        }
        try {
            server.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            throw new IllegalStateException("cannot stop " + server + ": " + e.getMessage(), e);
        }
    }
}
