package dev.pymode.delivery.support;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.fabric8.kubernetes.api.model.AuthInfoBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.NamedAuthInfo;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;

/**
 * The packaged operator ({@code operator/target/quarkus-app}, prod profile) run the way the chart's Deployment runs
 * it: the container's environment as rendered, the downward-API namespace filled in, and the chart's
 * ServiceAccount as its identity, through a token the API server issued for it (what the kubelet mounts into the
 * pod). Only what a pod gets from its volumes and the kubelet differs: the HTTP port, the source cache directory
 * and the API server address.
 */
public final class OperatorProcess implements AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);

    private final Process process;
    private final Path output;
    private final int port;
    private final String podName;

    private OperatorProcess(Process process, Path output, int port, String podName) {
        this.process = process;
        this.output = output;
        this.port = port;
        this.podName = podName;
    }

    /**
     * Starts the operator of a release installed with {@code values}, as its ServiceAccount.
     *
     * @param admin          a client with rights to issue the ServiceAccount's token
     * @param adminKubeconfig the API server's kubeconfig (its address and CA are kept, the credentials replaced)
     */
    public static OperatorProcess start(KubernetesClient admin, String adminKubeconfig, Manifests release,
                                        String namespace, Path workDir) throws IOException {
        Path jar = Repo.root().resolve("operator/target/quarkus-app/quarkus-run.jar");
        if (!Files.isRegularFile(jar)) {
            throw new AssertionError("no packaged operator at " + jar + ": build it in the same run "
                    + "(mvn -pl operator,delivery-tests -am verify)");
        }
        Deployment deployment = release.single(Deployment.class);
        Container container = deployment.getSpec().getTemplate().getSpec().getContainers().stream()
                .filter(c -> c.getName().equals("operator")).findFirst().orElseThrow();
        String serviceAccount = deployment.getSpec().getTemplate().getSpec().getServiceAccountName();
        String podName = deployment.getMetadata().getName() + "-5d8f7c9b4-x2k9q";
        int port = freePort();

        Path sourceCache = Files.createDirectories(workDir.resolve("source-cache"));
        Path kubeconfig = workDir.resolve("kubeconfig");
        Files.writeString(kubeconfig, serviceAccountKubeconfig(admin, adminKubeconfig, namespace, serviceAccount));
        Path output = workDir.resolve("operator.log");

        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder builder = new ProcessBuilder(java, "-Xmx384m", "-jar", jar.toString())
                .directory(workDir.toFile()).redirectErrorStream(true).redirectOutput(output.toFile());
        Map<String, String> env = builder.environment();
        env.keySet().removeIf(k -> !List.of("PATH", "LANG").contains(k));
        for (EnvVar var : container.getEnv()) {
            if (var.getValue() != null) {
                env.put(var.getName(), var.getValue());
            } else if (var.getValueFrom() != null && var.getValueFrom().getFieldRef() != null
                    && "metadata.namespace".equals(var.getValueFrom().getFieldRef().getFieldPath())) {
                env.put(var.getName(), namespace);
            } else {
                throw new IllegalArgumentException("no stand-in for the environment variable " + var.getName());
            }
        }
        env.put("HOSTNAME", podName); // the Lease holder identity, as in a pod
        env.put("KUBECONFIG", kubeconfig.toString());
        env.put("PYMODE_HTTP_PORT", Integer.toString(port));
        env.put("PYMODE_SOURCE_WORK_DIR", sourceCache.toString());
        env.put("JAVA_TOOL_OPTIONS", "-Djava.io.tmpdir=" + Files.createDirectories(workDir.resolve("tmp")));
        return new OperatorProcess(builder.start(), output, port, podName);
    }

    /** A kubeconfig for the API server with the ServiceAccount's token as its only credential. */
    private static String serviceAccountKubeconfig(KubernetesClient admin, String adminKubeconfig, String namespace,
                                                   String serviceAccount) {
        String token = admin.serviceAccounts().inNamespace(namespace).withName(serviceAccount)
                .tokenRequest(new TokenRequestBuilder().withNewSpec().withExpirationSeconds(3600L).endSpec().build())
                .getStatus().getToken();
        var config = Serialization.unmarshal(adminKubeconfig, io.fabric8.kubernetes.api.model.Config.class);
        String user = config.getContexts().get(0).getContext().getUser();
        config.setUsers(List.of(new NamedAuthInfo(user, new AuthInfoBuilder().withToken(token).build())));
        config.getContexts().get(0).getContext().setNamespace(namespace);
        return Serialization.asYaml(config);
    }

    /** Waits until the operator reports ready (its controllers started), failing at once if it exits. */
    public OperatorProcess awaitReady() throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest ready = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/q/health/ready"))
                .timeout(Duration.ofSeconds(5)).build();
        Instant deadline = Instant.now().plus(START_TIMEOUT);
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new AssertionError("the operator exited with " + process.exitValue() + ":\n" + outputTail());
            }
            try {
                HttpResponse<String> response = http.send(ready, HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    return this;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(500);
        }
        throw new AssertionError("the operator was not ready within " + START_TIMEOUT + ":\n" + outputTail());
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The pod name it runs under (HOSTNAME), which is its Lease holder identity. */
    public String podName() {
        return podName;
    }

    public String output() throws IOException {
        return Files.readString(output, StandardCharsets.UTF_8);
    }

    /** The last lines the operator printed, for assertion messages. */
    public String outputTail() throws IOException {
        List<String> lines = output().lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor();
        }
    }
}
