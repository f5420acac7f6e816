package dev.pymode.operator.oci;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The operator's read side of an OCI distribution registry: does an artifact with this tag exist, and what is
 * its digest, type, size and annotations; and its blobs (bundles to deploy, OCI sources to build). Builders
 * push (with oras); the operator only looks up, so the registry stays the single source of truth for what has
 * been built.
 *
 * <p>Authentication: basic credentials are sent up front; a registry answering 401 with a
 * {@code WWW-Authenticate: Bearer} challenge (ghcr.io, Docker Hub, Harbor, ...) gets the token handshake of the
 * distribution spec, with the same credentials (or anonymously) for a pull-scoped token.
 */
public class OciRegistry {

    /** Image indexes are asked for too, so a multi-platform reference is recognised (and refused) as such. */
    private static final String MANIFEST_TYPES = "application/vnd.oci.image.manifest.v1+json, "
            + "application/vnd.oci.artifact.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, "
            + "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json";
    private static final Pattern CHALLENGE_PARAM = Pattern.compile("(\\w+)=\"([^\"]*)\"");
    private static final int MAX_REDIRECTS = 5;

    private final HttpClient http;
    private final ObjectMapper mapper;
    private final String baseUrl;
    private final String host;
    private final Optional<String> basicAuth;
    private final Map<String, Token> tokens = new ConcurrentHashMap<>();

    private record Token(String value, Instant expires) {
    }

    /**
     * @param host      registry host[:port], as in image references
     * @param plainHttp loopback registries (tests, the embedded default) speak plain HTTP
     * @param username  optional basic-auth user
     * @param password  optional basic-auth password
     */
    public OciRegistry(String host, boolean plainHttp, String username, String password, ObjectMapper mapper) {
        this(host, plainHttp, username, password, mapper, newHttpClient());
    }

    /** The same, sharing an HTTP client (the source fetcher talks to many registries). */
    public OciRegistry(String host, boolean plainHttp, String username, String password, ObjectMapper mapper,
                       HttpClient http) {
        this.host = host;
        this.baseUrl = (plainHttp ? "http://" : "https://") + host + "/v2/";
        this.mapper = mapper;
        this.http = http;
        this.basicAuth = username == null || username.isEmpty() ? Optional.empty()
                : Optional.of("Basic " + Base64.getEncoder().encodeToString(
                        (username + ":" + password).getBytes(StandardCharsets.UTF_8)));
    }

    /** Redirects are followed by hand (blob downloads), so credentials never travel to another host. */
    public static HttpClient newHttpClient() {
        return HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    public String host() {
        return host;
    }

    /** A layer of an artifact: one file (its title annotation is the name), or an archive. */
    public record Layer(String title, String mediaType, String digest, long size, Map<String, String> annotations) {
    }

    /**
     * A pushed artifact as the registry describes it.
     *
     * @param mediaType the manifest's media type (an image index has no layers and is not an artifact to read)
     */
    public record Artifact(String repository, String digest, String mediaType, String artifactType, long totalBytes,
                           Map<String, String> annotations, List<Layer> layers) {
        public boolean isIndex() {
            return mediaType.contains("index") || mediaType.contains("manifest.list");
        }

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
        HttpResponse<byte[]> response = send(repository, () -> HttpRequest.newBuilder(
                URI.create(baseUrl + repository + "/manifests/" + tag))
                .timeout(Duration.ofSeconds(15))
                .header("Accept", MANIFEST_TYPES)
                .GET(), HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() == 404) {
            return Optional.empty();
        }
        refuseAuthFailures(response, repository + ":" + tag);
        if (response.statusCode() != 200) {
            throw new RegistryUnavailableException("registry " + host + " answered HTTP " + response.statusCode()
                    + " for " + repository + ":" + tag, null);
        }
        String digest = response.headers().firstValue("Docker-Content-Digest")
                .orElseGet(() -> "sha256:" + sha256(response.body()));
        if (tag.startsWith("sha256:") && !digest.equals(tag)) {
            throw new RegistryUnavailableException("registry " + host + " sent a manifest with digest " + digest
                    + " for " + repository + "@" + tag, null);
        }
        String mediaType = response.headers().firstValue("Content-Type").orElse("");
        return Optional.of(parse(repository, digest, mediaType, response.body()));
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
            files.put(layer.title(), fetchBlob(artifact.repository(), layer.digest(), Long.MAX_VALUE));
        }
        return files;
    }

    /** Thrown when a blob is larger than the caller allows; nothing beyond the limit is read. */
    public static class BlobTooLargeException extends RuntimeException {
        public BlobTooLargeException(String message) {
            super(message);
        }
    }

    /**
     * Downloads one blob, checking its digest, reading at most {@code maxBytes}.
     *
     * @throws BlobTooLargeException        when it is larger
     * @throws RegistryUnavailableException when it cannot be fetched or does not match its digest
     */
    public byte[] fetchBlob(String repository, String digest, long maxBytes) {
        URI uri = URI.create(baseUrl + repository + "/blobs/" + digest);
        HttpResponse<InputStream> response = send(repository, () -> HttpRequest.newBuilder(uri)
                .timeout(Duration.ofMinutes(2)).GET(), HttpResponse.BodyHandlers.ofInputStream());
        // Registries hand blobs to storage (S3, a CDN) by redirect; those URLs carry their own authorisation.
        for (int hops = 0; isRedirect(response.statusCode()) && hops < MAX_REDIRECTS; hops++) {
            close(response);
            URI location = uri.resolve(response.headers().firstValue("Location").orElseThrow(() ->
                    new RegistryUnavailableException("registry " + host + " redirected blob " + digest
                            + " without a Location", null)));
            response = sendRaw(HttpRequest.newBuilder(location).timeout(Duration.ofMinutes(2)).GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream());
        }
        if (response.statusCode() != 200) {
            close(response);
            refuseAuthFailures(response, repository + "@" + digest);
            throw new RegistryUnavailableException("registry " + host + " answered HTTP "
                    + response.statusCode() + " for blob " + digest, null);
        }
        long declared = response.headers().firstValueAsLong("Content-Length").orElse(-1);
        if (declared > maxBytes) {
            close(response);
            throw new BlobTooLargeException("blob " + digest + " is " + declared + " bytes, more than " + maxBytes);
        }
        byte[] body;
        try (InputStream in = response.body()) {
            body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8L, maxBytes == Long.MAX_VALUE ? maxBytes : maxBytes + 1));
            if (body.length > maxBytes) {
                throw new BlobTooLargeException("blob " + digest + " is more than " + maxBytes + " bytes");
            }
        } catch (IOException e) {
            throw new RegistryUnavailableException("registry " + host + " unreachable: " + e.getMessage(), e);
        }
        String actual = "sha256:" + sha256(body);
        if (!actual.equals(digest)) {
            throw new RegistryUnavailableException("blob " + digest + " from " + host + " has digest " + actual, null);
        }
        return body;
    }

    private static boolean isRedirect(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    private static void close(HttpResponse<?> response) {
        if (response.body() instanceof InputStream in) {
            try {
                in.close();
            } catch (IOException e) {
                // nothing more to read from it anyway
            }
        }
    }

    private void refuseAuthFailures(HttpResponse<?> response, String what) {
        int status = response.statusCode();
        if (status == 401 || status == 403) {
            throw new RegistryAuthenticationException("registry " + host + " answered HTTP " + status + " for " + what
                    + (basicAuth.isPresent() ? ": the credentials were refused" : ": credentials are required"), status);
        }
    }

    /** Sends with the best authorisation known, and answers a bearer challenge once. */
    private <T> HttpResponse<T> send(String repository, Supplier<HttpRequest.Builder> request,
                                     HttpResponse.BodyHandler<T> handler) {
        String scope = "repository:" + repository + ":pull";
        HttpRequest.Builder first = request.get();
        Token token = tokens.get(scope);
        if (token != null && token.expires().isAfter(Instant.now())) {
            first.header("Authorization", "Bearer " + token.value());
        } else {
            basicAuth.ifPresent(auth -> first.header("Authorization", auth));
        }
        HttpResponse<T> response = sendRaw(first.build(), handler);
        if (response.statusCode() != 401) {
            return response;
        }
        Optional<String> challenge = response.headers().allValues("WWW-Authenticate").stream()
                .filter(h -> h.regionMatches(true, 0, "Bearer ", 0, 7)).findFirst();
        if (challenge.isEmpty()) {
            return response;
        }
        close(response);
        Token fresh = token(challenge.get(), scope);
        tokens.put(scope, fresh);
        HttpRequest.Builder retry = request.get().header("Authorization", "Bearer " + fresh.value());
        return sendRaw(retry.build(), handler);
    }

    /** The distribution token handshake: GET realm?service=...&scope=... with the basic credentials, if any. */
    private Token token(String challenge, String scope) {
        Map<String, String> params = new LinkedHashMap<>();
        Matcher m = CHALLENGE_PARAM.matcher(challenge.substring(7));
        while (m.find()) {
            params.put(m.group(1).toLowerCase(java.util.Locale.ROOT), m.group(2));
        }
        String realm = params.get("realm");
        if (realm == null || !(realm.startsWith("https://") || realm.startsWith("http://"))) {
            throw new RegistryUnavailableException("registry " + host + " sent a bearer challenge without a usable realm",
                    null);
        }
        StringBuilder query = new StringBuilder();
        if (params.containsKey("service")) {
            query.append("service=").append(java.net.URLEncoder.encode(params.get("service"), StandardCharsets.UTF_8));
        }
        query.append(query.length() > 0 ? "&" : "").append("scope=")
                .append(java.net.URLEncoder.encode(scope, StandardCharsets.UTF_8));
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(realm + (realm.contains("?") ? "&" : "?") + query))
                .timeout(Duration.ofSeconds(15)).GET();
        basicAuth.ifPresent(auth -> request.header("Authorization", auth));
        HttpResponse<byte[]> response = sendRaw(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() == 401 || response.statusCode() == 403) {
            throw new RegistryAuthenticationException("the token service of registry " + host + " answered HTTP "
                    + response.statusCode() + (basicAuth.isPresent() ? ": the credentials were refused"
                    : ": credentials are required"), response.statusCode());
        }
        if (response.statusCode() != 200) {
            throw new RegistryUnavailableException("the token service of registry " + host + " answered HTTP "
                    + response.statusCode(), null);
        }
        try {
            JsonNode body = mapper.readTree(response.body());
            String value = body.path("token").asText(body.path("access_token").asText(""));
            if (value.isEmpty()) {
                throw new RegistryUnavailableException("the token service of registry " + host + " sent no token", null);
            }
            long seconds = Math.max(30, body.path("expires_in").asLong(60));
            return new Token(value, Instant.now().plusSeconds(seconds - 10));
        } catch (IOException e) {
            throw new RegistryUnavailableException("the token service of registry " + host + " sent unreadable JSON", e);
        }
    }

    private <T> HttpResponse<T> sendRaw(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        try {
            return http.send(request, handler);
        } catch (IOException e) {
            throw new RegistryUnavailableException("registry " + host + " unreachable: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryUnavailableException("interrupted while asking registry " + host, e);
        }
    }

    private static String sha256(byte[] bytes) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private Artifact parse(String repository, String digest, String contentType, byte[] body) {
        try {
            JsonNode manifest = mapper.readTree(body);
            long total = 0;
            List<Layer> layers = new ArrayList<>();
            for (JsonNode layer : manifest.path("layers")) {
                total += layer.path("size").asLong();
                Map<String, String> layerAnnotations = new LinkedHashMap<>();
                layer.path("annotations").fields().forEachRemaining(e -> layerAnnotations.put(e.getKey(),
                        e.getValue().asText()));
                layers.add(new Layer(layerAnnotations.getOrDefault("org.opencontainers.image.title", ""),
                        layer.path("mediaType").asText(), layer.path("digest").asText(), layer.path("size").asLong(),
                        Map.copyOf(layerAnnotations)));
            }
            Map<String, String> annotations = new LinkedHashMap<>();
            manifest.path("annotations").fields().forEachRemaining(e -> annotations.put(e.getKey(), e.getValue().asText()));
            String mediaType = manifest.path("mediaType").asText(contentType);
            return new Artifact(repository, digest, mediaType, manifest.path("artifactType").asText(""), total,
                    annotations, List.copyOf(layers));
        } catch (IOException e) {
            throw new RegistryUnavailableException("registry " + host + " sent an unreadable manifest for "
                    + repository + "@" + digest, e);
        }
    }
}
