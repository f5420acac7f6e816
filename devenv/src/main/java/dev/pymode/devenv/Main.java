package dev.pymode.devenv;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * Runs a local API server until interrupted: {@code java -cp ... dev.pymode.devenv.Main <kubeconfig-out> [crd-dir]}.
 * Prints {@code READY <kubeconfig>} once the API answers and the CRDs (if given) are established.
 */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: Main <kubeconfig-out> [crd-dir]");
            System.exit(2);
        }
        LocalApiServer server = new LocalApiServer().start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "local-api-server-stop"));
        Path kubeconfig = server.writeKubeConfig(Path.of(args[0]));
        if (args.length > 1) {
            try (var client = server.newClient()) {
                LocalApiServer.applyCrds(client, Path.of(args[1]));
            }
        }
        System.out.println("READY " + kubeconfig.toAbsolutePath());
        System.out.flush();
        stopped.await();
    }
}
