package dev.pymode.cloudflare;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.commons.codec.digest.Blake3;

/**
 * A Worker's static assets: files by asset path ({@code /dir/file.ext}) plus the {@code assets.config} of the upload
 * metadata. Cloudflare keeps assets per account by content hash, so an upload session asks only for the hashes the
 * account lacks ({@link CloudflareClient#uploadAssets}).
 */
public final class StaticAssets {

    /** Cloudflare refuses larger assets (wrangler's MAX_ASSET_SIZE). */
    public static final long MAX_FILE_SIZE = 25L * 1024 * 1024;

    /** One file: its asset path, its bytes (not copied) and wrangler's hash of them. */
    public record Asset(String path, byte[] content, String hash) {
        @Override
        public String toString() {
            return "Asset[" + path + ", " + content.length + " B, " + hash + "]";
        }
    }

    private final Map<String, Asset> byPath;
    private final ObjectNode config;

    private StaticAssets(Map<String, Asset> byPath, ObjectNode config) {
        this.byPath = Collections.unmodifiableMap(byPath);
        this.config = config;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Every asset, ordered by path. */
    public List<Asset> files() {
        return List.copyOf(byPath.values());
    }

    public long totalSize() {
        return byPath.values().stream().mapToLong(a -> a.content().length).sum();
    }

    /** What goes to {@code assets.config} in the upload metadata (a copy). */
    public ObjectNode config() {
        return config.deepCopy();
    }

    /** The session request's {@code manifest}: {@code {"/path": {"hash": …, "size": n}}}, ordered by path. */
    public ObjectNode manifest() {
        ObjectNode manifest = JsonNodeFactory.instance.objectNode();
        byPath.values().forEach(a -> manifest.putObject(a.path()).put("hash", a.hash())
                .put("size", a.content().length));
        return manifest;
    }

    /** The first asset with this hash (the same content under one extension hashes the same). */
    Asset byHash(String hash) {
        return byPath.values().stream().filter(a -> a.hash().equals(hash)).findFirst().orElse(null);
    }

    /**
     * Wrangler's asset hash: the first 32 hex digits of BLAKE3 over the base64 of the content followed by the file
     * extension without its dot (empty when there is none).
     */
    public static String hash(String path, byte[] content) {
        String input = Base64.getEncoder().encodeToString(content) + extension(path);
        byte[] digest = Blake3.hash(input.getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(digest).substring(0, 32);
    }

    /** Node's {@code path.extname(p).substring(1)}: after the last dot of the last segment, unless it leads it. */
    static String extension(String path) {
        String name = path.substring(path.lastIndexOf('/') + 1);
        int dot = name.lastIndexOf('.');
        return dot <= 0 ? "" : name.substring(dot + 1);
    }

    /**
     * The Content-Type an upload part carries, which Cloudflare serves the asset with: wrangler's for the kinds a
     * bundle holds ({@code text/*} with {@code charset=utf-8}); {@code application/null} (no Content-Type header,
     * as wrangler sends for unknown kinds) otherwise.
     */
    static String contentType(String path) {
        return switch (extension(path).toLowerCase(Locale.ROOT)) {
            case "py" -> "text/x-python; charset=utf-8";
            case "txt" -> "text/plain; charset=utf-8";
            case "html", "htm" -> "text/html; charset=utf-8";
            case "css" -> "text/css; charset=utf-8";
            case "js", "mjs" -> "text/javascript; charset=utf-8";
            case "json" -> "application/json";
            case "wasm" -> "application/wasm";
            case "zip" -> "application/zip";
            default -> "application/null";
        };
    }

    @Override
    public String toString() {
        return "StaticAssets[" + byPath.size() + " files, " + totalSize() + " B]";
    }

    public static final class Builder {
        private final Map<String, Asset> byPath = new TreeMap<>();
        private ObjectNode config = JsonNodeFactory.instance.objectNode();

        private Builder() {
        }

        /** @param path the asset path: starts with '/', no empty, '.' or '..' segments */
        public Builder file(String path, byte[] content) {
            Objects.requireNonNull(content, "content");
            checkPath(path);
            if (content.length > MAX_FILE_SIZE) {
                throw new IllegalArgumentException("asset " + path + " has " + content.length
                        + " bytes; Cloudflare takes at most " + MAX_FILE_SIZE);
            }
            if (byPath.putIfAbsent(path, new Asset(path, content, hash(path, content))) != null) {
                throw new IllegalArgumentException("asset path given twice: " + path);
            }
            return this;
        }

        /** {@code assets.config}, sent as given (e.g. {@code {"run_worker_first": true}}). */
        public Builder config(ObjectNode config) {
            this.config = Objects.requireNonNull(config, "config").deepCopy();
            return this;
        }

        public StaticAssets build() {
            if (byPath.isEmpty()) {
                throw new IllegalArgumentException("static assets without a file");
            }
            return new StaticAssets(new TreeMap<>(byPath), config);
        }

        private static void checkPath(String path) {
            if (path == null || !path.startsWith("/") || path.length() < 2) {
                throw new IllegalArgumentException("asset path must start with '/' and name a file: " + path);
            }
            List<String> bad = new ArrayList<>();
            for (String segment : path.substring(1).split("/", -1)) {
                if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                    bad.add(segment);
                }
            }
            if (!bad.isEmpty() || path.contains("\\")) {
                throw new IllegalArgumentException("asset path with an empty, '.', '..' segment or a backslash: "
                        + path);
            }
        }
    }
}
