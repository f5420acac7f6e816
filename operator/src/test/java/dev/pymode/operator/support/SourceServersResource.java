package dev.pymode.operator.support;

import java.nio.file.Path;
import java.util.Map;

import dev.pymode.devenv.GitServer;
import dev.pymode.devenv.LocalRegistry;

/**
 * The API server (via {@link RealApiServerResource}) plus the servers sources come from: a real git server
 * (git http-backend on loopback) and a real OCI registry on loopback. No builds: workers stop at Built.
 */
public class SourceServersResource extends RegistryApiServerResource {

    /** Repositories the tests create, served over smart HTTP. */
    public static GitServer git;
    /** Where the tests push OCI sources. */
    public static LocalRegistry registry;

    public SourceServersResource() {
        super("pymode-sources-it", "the source servers");
    }

    @Override
    protected void configure(Path root, LocalRegistry started, Map<String, String> config) throws Exception {
        git = new GitServer(root.resolve("git"));
        config.put("pymode.source.work-dir", root.resolve("operator-cache").toString());
        registry = started;
    }

    @Override
    protected void stopOthers() {
        if (git != null) {
            git.close();
        }
    }
}
