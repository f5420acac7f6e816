package dev.pymode.operator.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pymode.devenv.RepositoryLayout;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Pushes test artifacts to a real registry: with the real oras CLI (one layer per file, as users do), and
 * through the distribution API for manifests oras does not make (what {@code flux push artifact} makes: a
 * Flux config and one untitled tar+gzip layer; image indexes; hostile layers).
 */
public final class OciPush {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private OciPush() {
    }

    /** `oras push --plain-http <ref> <paths...>` run in {@code dir}, so each layer's title is the relative path. */
    public static void orasFiles(String ref, Path dir, Map<String, String> files) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(RepositoryLayout.ociToolsBin().resolve("oras").toString(),
                "push", "--plain-http", ref));
        for (var file : files.entrySet()) {
            Path path = dir.resolve(file.getKey());
            Files.createDirectories(path.getParent());
            Files.writeString(path, file.getValue());
            command.add(file.getKey());
        }
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.waitFor() != 0) {
            throw new IOException("oras push failed: " + out);
        }
    }

    /** A tar+gzip of the files (paths as given), the way flux push artifact packs a directory. */
    public static byte[] tarGz(Map<String, String> files) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(bytes))) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (var file : files.entrySet()) {
                byte[] data = file.getValue().getBytes(StandardCharsets.UTF_8);
                TarArchiveEntry entry = new TarArchiveEntry(file.getKey(), true);
                entry.setSize(data.length);
                tar.putArchiveEntry(entry);
                tar.write(data);
                tar.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }

    /** A layer to push: its media type, bytes and annotations. */
    public record Layer(String mediaType, byte[] content, Map<String, String> annotations) {
    }

    /** Flux's artifact: config application/vnd.cncf.flux.config.v1+json, one untitled tar+gzip layer. */
    public static String flux(String host, String repository, String tag, byte[] tarGz) throws Exception {
        return manifest(host, repository, tag, "application/vnd.cncf.flux.config.v1+json",
                List.of(new Layer("application/vnd.cncf.flux.content.v1.tar+gzip", tarGz, Map.of())),
                Map.of("org.opencontainers.image.source", "https://git.example.com/app",
                        "org.opencontainers.image.revision", "main@sha1:0123"));
    }

    /** Uploads the blobs and puts an image manifest; returns its digest. */
    public static String manifest(String host, String repository, String tag, String configType, List<Layer> layers,
                                  Map<String, String> annotations) throws Exception {
        byte[] config = "{}".getBytes(StandardCharsets.UTF_8);
        String configDigest = blob(host, repository, config);
        List<Map<String, Object>> layerDescriptors = new ArrayList<>();
        for (Layer layer : layers) {
            Map<String, Object> descriptor = new LinkedHashMap<>();
            descriptor.put("mediaType", layer.mediaType());
            descriptor.put("digest", blob(host, repository, layer.content()));
            descriptor.put("size", layer.content().length);
            if (!layer.annotations().isEmpty()) {
                descriptor.put("annotations", layer.annotations());
            }
            layerDescriptors.add(descriptor);
        }
        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("schemaVersion", 2);
        manifest.put("mediaType", "application/vnd.oci.image.manifest.v1+json");
        manifest.put("config", Map.of("mediaType", configType, "digest", configDigest, "size", config.length));
        manifest.put("layers", layerDescriptors);
        manifest.put("annotations", annotations);
        return put(host, repository, tag, "application/vnd.oci.image.manifest.v1+json", JSON.writeValueAsBytes(manifest));
    }

    /** An image index pointing at one manifest (what multi-platform pushes make). */
    public static String index(String host, String repository, String tag, String manifestDigest, long size)
            throws Exception {
        Map<String, Object> index = Map.of("schemaVersion", 2, "mediaType", "application/vnd.oci.image.index.v1+json",
                "manifests", List.of(Map.of("mediaType", "application/vnd.oci.image.manifest.v1+json",
                        "digest", manifestDigest, "size", size,
                        "platform", Map.of("os", "linux", "architecture", "amd64"))));
        return put(host, repository, tag, "application/vnd.oci.image.index.v1+json", JSON.writeValueAsBytes(index));
    }

    private static String put(String host, String repository, String tag, String type, byte[] body) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create("http://" + host + "/v2/"
                + repository + "/manifests/" + tag)).header("Content-Type", type)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 201) {
            throw new IOException("manifest put: HTTP " + response.statusCode() + " " + response.body());
        }
        return "sha256:" + sha256(body);
    }

    private static String blob(String host, String repository, byte[] content) throws Exception {
        String digest = "sha256:" + sha256(content);
        HttpResponse<String> start = HTTP.send(HttpRequest.newBuilder(URI.create("http://" + host + "/v2/" + repository
                + "/blobs/uploads/")).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        String location = start.headers().firstValue("Location").orElseThrow();
        URI upload = URI.create("http://" + host).resolve(location);
        String separator = upload.getQuery() == null ? "?" : "&";
        HttpResponse<String> done = HTTP.send(HttpRequest.newBuilder(URI.create(upload + separator + "digest=" + digest))
                .header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(content)).build(), HttpResponse.BodyHandlers.ofString());
        if (done.statusCode() != 201) {
            throw new IOException("blob put: HTTP " + done.statusCode() + " " + done.body());
        }
        return digest;
    }

    public static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
