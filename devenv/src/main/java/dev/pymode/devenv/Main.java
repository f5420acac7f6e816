package dev.pymode.devenv;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * Runs the local environment until interrupted:
 * {@code java -cp ... dev.pymode.devenv.Main <state-dir> [crd-dir]}: a kube-apiserver + etcd (kubeconfig in
 * {@code <state-dir>/kubeconfig}, CRDs applied) and an OCI registry (storage in {@code <state-dir>/registry}).
 * Prints {@code READY kubeconfig=<path> registry=<host:port>} once both answer.
 */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: Main <state-dir> [crd-dir]");
            System.exit(2);
        }
        Path state = Path.of(args[0]).toAbsolutePath();
        Files.createDirectories(state);
        LocalApiServer server = new LocalApiServer().start();
        LocalRegistry registry = new LocalRegistry(state.resolve("registry")).start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                registry.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            server.close();
            stopped.countDown();
        }, "local-environment-stop"));
        Path kubeconfig = server.writeKubeConfig(state.resolve("kubeconfig"));
        if (args.length > 1) {
            try (var client = server.newClient()) {
                LocalApiServer.applyCrds(client, Path.of(args[1]));
            }
        }
        System.out.println("READY kubeconfig=" + kubeconfig + " registry=" + registry.host());
        System.out.flush();
        stopped.await();
    }
}
