package dev.pymode.operator.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;

import dev.pymode.devenv.LocalCloudflare;

/**
 * The whole path on real parts: API server, registry, local builds and the Cloudflare stand-in running
 * deployed scripts in workerd. The operator's log goes to a file so tests can scan it for secrets.
 */
public class EndToEndResource extends BuildEnvironmentResource {

    public static final String ACCOUNT = "0123456789abcdef0123456789abcdef";
    /** A zone of the account, for route tests. */
    public static final String ZONE = "e2e.example";
    public static LocalCloudflare cloudflare;
    public static Path operatorLog;
    /** Kept after the run only with -Dpymode.e2e.keep=true (the stand-in's state and the operator log take GBs). */
    private static final boolean KEEP = Boolean.getBoolean("pymode.e2e.keep");
    private Path dir;

    @Override
    public Map<String, String> start() {
        Map<String, String> config = new HashMap<>(super.start());
        try {
            dir = Files.createTempDirectory("pymode-e2e");
            cloudflare = configure(new LocalCloudflare(dir.resolve("cloudflare"), ACCOUNT,
                    "e2e-token-" + System.nanoTime()).withZone(ZONE)).start();
            operatorLog = dir.resolve("operator.log");
            config.put("pymode.cloudflare.api-url", cloudflare.apiUrl());
            config.put("pymode.cloudflare.account-id", ACCOUNT);
            config.put("pymode.cloudflare.api-token", cloudflare.token());
            config.put("pymode.cloudflare.workers-dev-url",
                    "http://{script}.{subdomain}.workers.dev:" + cloudflare.baseUrl().replaceAll(".*:", "") + "/");
            config.put("pymode.cloudflare.edge-address", cloudflare.baseUrl().replace("http://", ""));
            // shared listings re-read after 2 s, so changes made behind the operator's back show up quickly
            config.put("pymode.cloudflare.listing-interval", "PT2S");
            config.put("quarkus.log.file.enabled", "true");
            config.put("quarkus.log.file.path", operatorLog.toString());
            return config;
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the Cloudflare stand-in: " + e.getMessage(), e);
        }
    }

    /** Subclasses may set more on the stand-in before it starts. */
    protected LocalCloudflare configure(LocalCloudflare standin) {
        return standin;
    }

    @Override
    public void stop() {
        stopServer(cloudflare);
        super.stop();
        if (dir != null && !KEEP) {
            try (var tree = Files.walk(dir)) {
                tree.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                System.err.println("could not remove " + dir + ": " + e.getMessage());
            }
        } else if (dir != null) {
            System.err.println("e2e state kept in " + dir + " (stand-in state, operator log)");
        }
    }
}
