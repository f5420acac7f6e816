package dev.pymode.operator.support;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import dev.pymode.devenv.LocalApiServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * Starts a real kube-apiserver + etcd for a Quarkus test, installs the generated CRDs, and points the
 * operator's Kubernetes client at it through a kubeconfig (the same way a user runs the operator).
 */
public class RealApiServerResource implements QuarkusTestResourceLifecycleManager {

    /** Init argument: comma-separated namespaces that must exist before the operator starts (a Lease's). */
    public static final String NAMESPACES = "namespaces";

    private LocalApiServer server;
    private List<String> namespaces = List.of();

    @Override
    public void init(Map<String, String> initArgs) {
        String list = initArgs.getOrDefault(NAMESPACES, "");
        namespaces = list.isBlank() ? List.of() : List.of(list.split(","));
    }

    @Override
    public Map<String, String> start() {
        try {
            server = new LocalApiServer().start();
            try (var client = server.newClient()) {
                LocalApiServer.applyCrds(client, TestPaths.generatedCrds());
                namespaces.forEach(ns -> Namespaces.ensure(client, ns));
            }
            Path kubeconfig = server.writeKubeConfig(Files.createTempDirectory("pymode-it").resolve("kubeconfig"));
            // Fabric8 reads the kubeconfig location from this system property when Quarkus builds its client.
            System.setProperty("kubeconfig", kubeconfig.toString());
            return Map.of();
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the local API server: " + e.getMessage(), e);
        }
    }

    @Override
    public void stop() {
        System.clearProperty("kubeconfig");
        if (server != null) {
            server.close();
        }
    }
}
