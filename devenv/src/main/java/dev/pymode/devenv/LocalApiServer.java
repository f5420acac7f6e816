package dev.pymode.devenv;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

/**
 * A real kube-apiserver with its etcd on loopback, from binaries provisioned offline by
 * {@code hack/provision-kube-api-test.sh} (etcd and kubectl from Debian, kube-apiserver built from source).
 * Used by the embedded default and by every test tier that needs Kubernetes.
 */
public final class LocalApiServer implements AutoCloseable {

    /** The Kubernetes version the provisioning script builds. */
    public static final String KUBERNETES_VERSION = "1.34.2";

    private final KubeAPIServer server;
    private final Path binariesDir;
    private String kubeConfigYaml;

    public LocalApiServer() {
        this.binariesDir = RepositoryLayout.kubeApiTestDir();
        this.server = new KubeAPIServer(KubeAPIServerConfigBuilder.anAPIServerConfig()
                .withTestDir(binariesDir.toString())
                .withApiServerVersion(KUBERNETES_VERSION)
                .withOfflineMode(true)
                .withUpdateKubeConfig(false)
                .build());
    }

    /** Starts etcd and kube-apiserver and waits until the API answers. */
    public LocalApiServer start() {
        server.start();
        kubeConfigYaml = server.getKubeConfigYaml();
        return this;
    }

    public String kubeConfigYaml() {
        if (kubeConfigYaml == null) {
            throw new IllegalStateException("the API server is not started");
        }
        return kubeConfigYaml;
    }

    /** Writes the kubeconfig (owner-readable only: it holds a client key) and returns its path. */
    public Path writeKubeConfig(Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, kubeConfigYaml(), StandardCharsets.UTF_8);
        file.toFile().setReadable(false, false);
        file.toFile().setReadable(true, true);
        return file;
    }

    public KubernetesClient newClient() {
        return new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeConfigYaml())).build();
    }

    /** The kubectl binary provisioned beside the server (a version-matched client for tests and the demo). */
    public Path kubectl() {
        return binariesDir.resolve("k8s").resolve(KUBERNETES_VERSION + "-linux-amd64").resolve("kubectl");
    }

    /** Applies every CRD YAML in a directory and waits until each is Established. */
    public static List<CustomResourceDefinition> applyCrds(KubernetesClient client, Path dir) throws IOException {
        List<Path> files;
        try (Stream<Path> list = Files.list(dir)) {
            files = list.filter(p -> p.toString().endsWith(".yml") || p.toString().endsWith(".yaml")).sorted().toList();
        }
        if (files.isEmpty()) {
            throw new IOException("no CRD YAML in " + dir);
        }
        List<CustomResourceDefinition> applied = new java.util.ArrayList<>();
        for (Path file : files) {
            try (InputStream in = Files.newInputStream(file)) {
                for (HasMetadata item : client.load(in).items()) {
                    CustomResourceDefinition crd = (CustomResourceDefinition) item;
                    applied.add(client.resource(crd).forceConflicts().serverSideApply());
                }
            }
        }
        for (CustomResourceDefinition crd : applied) {
            client.apiextensions().v1().customResourceDefinitions().withName(crd.getMetadata().getName())
                    // right after the apply the status may exist without conditions yet
                    .waitUntilCondition(c -> c.getStatus() != null && c.getStatus().getConditions() != null
                            && c.getStatus().getConditions().stream()
                            .anyMatch(x -> "Established".equals(x.getType()) && "True".equals(x.getStatus())),
                            30, java.util.concurrent.TimeUnit.SECONDS);
        }
        return applied;
    }

    @Override
    public void close() {
        server.stop();
    }
}
