package dev.pymode.delivery.cluster;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.Release;
import dev.pymode.delivery.support.Repo;
import dev.pymode.devenv.LocalCloudflare;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * What every cluster-tier test needs of the operator: a Cloudflare stand-in outside the cluster (reachable from pods
 * through the host address), the chart's values a user gives (where the images, registry, runtime and Cloudflare API
 * are; nothing else), {@code helm install} of a release, and calls to a worker through the stand-in's edge.
 */
final class ClusterOperator implements AutoCloseable {

    static final String ACCOUNT = "0123456789abcdef0123456789abcdef";
    private static final String CREDENTIALS_SECRET = "cloudflare-api";
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ClusterEnvironment cluster;
    private final KubernetesClient client;
    private final LocalCloudflare cloudflare;

    private ClusterOperator(ClusterEnvironment cluster, KubernetesClient client, LocalCloudflare cloudflare) {
        this.cluster = cluster;
        this.client = client;
        this.cloudflare = cloudflare;
    }

    /** Starts the stand-in and creates the namespaces (the first holds the operator and its Cloudflare token). */
    static ClusterOperator prepare(ClusterEnvironment cluster, KubernetesClient client, Path stateDir,
                                   String operatorNamespace, String... appNamespaces) throws Exception {
        LocalCloudflare cloudflare = new LocalCloudflare(stateDir, ACCOUNT, "cluster-" + System.nanoTime()).start();
        for (String ns : concat(operatorNamespace, appNamespaces)) {
            client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
                    .serverSideApply();
        }
        client.secrets().inNamespace(operatorNamespace).resource(new SecretBuilder().withNewMetadata()
                .withName(CREDENTIALS_SECRET).endMetadata().addToStringData("apiToken", cloudflare.token()).build())
                .serverSideApply();
        return new ClusterOperator(cluster, client, cloudflare);
    }

    LocalCloudflare cloudflare() {
        return cloudflare;
    }

    /** The values a user gives plus {@code extra}. */
    Map<String, Object> values(Map<String, Object> extra) {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("image.repository", cluster.operatorRepository());
        values.put("image.digest", cluster.operatorDigest());
        values.put("registry.host", cluster.registry());
        values.put("registry.plainHttp", true);
        values.put("runtime.ref", cluster.runtimeRef());
        values.put("builder.image", cluster.builderImage());
        values.put("cloudflare.accountId", ACCOUNT);
        values.put("cloudflare.credentialsSecret.name", CREDENTIALS_SECRET);
        String edge = cluster.hostAddress() + ":" + URI.create(cloudflare.baseUrl()).getPort();
        values.put("extraEnv[0].name", "PYMODE_CLOUDFLARE_API_URL");
        values.put("extraEnv[0].value", "http://" + edge + "/client/v4");
        values.put("extraEnv[1].name", "PYMODE_CLOUDFLARE_EDGE_ADDRESS");
        values.put("extraEnv[1].value", edge);
        values.putAll(extra);
        return values;
    }

    /** {@code helm install} with the user's values, waiting until the operator's Deployment is ready. */
    Release install(String release, String namespace, Map<String, Object> extra) {
        var install = new Helm(Repo.chart()).install().withName(release).withNamespace(namespace)
                .withKubeConfig(cluster.kubeconfig());
        values(extra).forEach(install::set);
        return install.waitReady().withTimeout(300).call();
    }

    /** {@code helm uninstall}, waiting until the release's pods are gone. */
    String uninstall(String release, String namespace) {
        String out = Helm.uninstall(release).withNamespace(namespace).withKubeConfig(cluster.kubeconfig()).call();
        client.pods().inNamespace(namespace).withLabel("app.kubernetes.io/instance", release)
                .waitUntilCondition(p -> p == null, 120, TimeUnit.SECONDS);
        return out;
    }

    /** HTTP statuses of the script uploads (PUT .../workers/scripts/NAME, each a new version) the stand-in answered. */
    List<Integer> scriptUploads(String script) throws Exception {
        JsonNode log = JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(cloudflare.baseUrl()
                + "/__standin/requests")).build(), HttpResponse.BodyHandlers.ofString()).body());
        List<Integer> statuses = new ArrayList<>();
        for (JsonNode request : log.get("requests")) {
            if ("PUT".equals(request.path("method").asText())
                    && request.path("path").asText().endsWith("/workers/scripts/" + script)) {
                statuses.add(request.path("status").asInt());
            }
        }
        return statuses;
    }

    /** Makes the stand-in answer matching API calls with an error (method, path glob, status, retry_after, count). */
    void fault(Map<String, Object> fault) throws Exception {
        admin("POST", JSON.writeValueAsString(fault));
    }

    void clearFaults() throws Exception {
        admin("DELETE", null);
    }

    private void admin(String method, String body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(cloudflare.baseUrl() + "/__standin/faults"))
                .header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body)).build();
        HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new AssertionError("stand-in " + method + " /__standin/faults: " + response.statusCode() + " "
                    + response.body());
        }
    }

    /** GET through the stand-in's edge, addressed by the worker's workers.dev name. */
    String edge(String script, String path) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(cloudflare.baseUrl() + path))
                .timeout(Duration.ofSeconds(60))
                .header("Host", script + "." + LocalCloudflare.SUBDOMAIN + ".workers.dev").build();
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString()).body();
    }

    @Override
    public void close() throws Exception {
        cloudflare.close();
    }

    private static String[] concat(String first, String... rest) {
        String[] all = new String[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }
}
