package dev.pymode.operator.oci;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The operator's read side of an OCI distribution registry: does an artifact with this tag exist, and what is
 * its digest, type, size and annotations. Builders push (with oras); the operator only looks up, so the
 * registry stays the single source of truth for what has been built.
 */
public class OciRegistry {

    private static final String MANIFEST_TYPES = "application/vnd.oci.image.manifest.v1+json, "
            + "application/vnd.oci.artifact.manifest.v1+json";

    private final HttpClient http;
    private final ObjectMapper mapper;
    private final String baseUrl;
    private final String host;
    private final Optional<String> basicAuth;

    /**
     * @param host      registry host[:port], as in image references
     * @param plainHttp loopback registries (tests, the embedded default) speak plain HTTP
     * @param username  optional basic-auth user
     * @param password  optional basic-auth password
     */
    public OciRegistry(String host, boolean plainHttp, String username, String password, ObjectMapper mapper) {
        this.host = host;
        this.baseUrl = (plainHttp ? "http://" : "https://") + host + "/v2/";
        this.mapper = mapper;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        this.basicAuth = username == null || username.isEmpty() ? Optional.empty()
                : Optional.of("Basic " + Base64.getEncoder().encodeToString(
                        (username + ":" + password).getBytes(StandardCharsets.UTF_8)));
    }

    public String host() {
        return host;
    }

    /** A layer of an artifact: one file. */
    public record Layer(String title, String mediaType, String digest, long size) {
    }

    /** A pushed artifact as the registry describes it. */
    public record Artifact(String repository, String digest, String artifactType, long totalBytes,
                           Map<String, String> annotations, List<Layer> layers) {
        public String reference(String host) {
            return host + "/" + repository + "@" + digest;
        }
    }

    /**
     * Looks up {@code repository:tag}.
     *
     * @return empty when the registry answers that the tag (or repository) does not exist
     * @throws RegistryUnavailableException when the registry cannot be reached or answers with an error
     */
    public Optional<Artifact> find(String repository, String tag) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + repository + "/manifests/" + tag))
                .timeout(Duration.ofSeconds(15))
                .header("Accept", MANIFEST_TYPES)
                .GET();
        basicAuth.ifPresent(auth -> request.header("Authorization", auth));
        HttpResponse<byte[]> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new RegistryUnavailableException("registry " + host + " unreachable: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryUnavailableException("interrupted while asking registry " + host, e);
        }
        if (response.statusCode() == 404) {
            return Optional.empty();
        }
        if (response.statusCode() != 200) {
            throw new RegistryUnavailableException("registry " + host + " answered HTTP " + response.statusCode()
                    + " for " + repository + ":" + tag, null);
        }
        String digest = response.headers().firstValue("Docker-Content-Digest").orElseThrow(
                () -> new RegistryUnavailableException("registry " + host + " sent no Docker-Content-Digest", null));
        return Optional.of(parse(repository, digest, response.body()));
    }

    /** Looks up an artifact by digest ({@code repo@sha256:...} references). */
    public Optional<Artifact> findByDigest(String repository, String digest) {
        return find(repository, digest);
    }

    /**
     * Downloads every layer of an artifact as a file named by its title annotation, checking each digest.
     *
     * @throws RegistryUnavailableException when a blob cannot be fetched or does not match its digest
     */
    public Map<String, byte[]> fetchFiles(Artifact artifact) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (Layer layer : artifact.layers()) {
            HttpRequest.Builder request = HttpRequest.newBuilder(
                    URI.create(baseUrl + artifact.repository() + "/blobs/" + layer.digest()))
                    .timeout(Duration.ofMinutes(2)).GET();
            basicAuth.ifPresent(auth -> request.header("Authorization", auth));
            byte[] body;
            try {
                HttpResponse<byte[]> response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
                if (response.statusCode() != 200) {
                    throw new RegistryUnavailableException("registry " + host + " answered HTTP "
                            + response.statusCode() + " for blob " + layer.digest(), null);
                }
                body = response.body();
            } catch (IOException e) {
                throw new RegistryUnavailableException("registry " + host + " unreachable: " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RegistryUnavailableException("interrupted while fetching from " + host, e);
            }
            String actual = "sha256:" + sha256(body);
            if (!actual.equals(layer.digest())) {
                throw new RegistryUnavailableException("blob " + layer.digest() + " from " + host + " has digest "
                        + actual, null);
            }
            files.put(layer.title(), body);
        }
        return files;
    }

    private static String sha256(byte[] bytes) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private Artifact parse(String repository, String digest, byte[] body) {
        try {
            JsonNode manifest = mapper.readTree(body);
            long total = 0;
            List<Layer> layers = new ArrayList<>();
            for (JsonNode layer : manifest.path("layers")) {
                total += layer.path("size").asLong();
                layers.add(new Layer(layer.path("annotations").path("org.opencontainers.image.title").asText(""),
                        layer.path("mediaType").asText(), layer.path("digest").asText(), layer.path("size").asLong()));
            }
            Map<String, String> annotations = new LinkedHashMap<>();
            manifest.path("annotations").fields().forEachRemaining(e -> annotations.put(e.getKey(), e.getValue().asText()));
            return new Artifact(repository, digest, manifest.path("artifactType").asText(""), total, annotations,
                    List.copyOf(layers));
        } catch (IOException e) {
            throw new RegistryUnavailableException("registry " + host + " sent an unreadable manifest for "
                    + repository + "@" + digest, e);
        }
    }
}
