package dev.pymode.operator.source;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A resolved project: its files by relative path and a digest over them.
 *
 * <p>The digest hashes each path and content with their lengths, in path order, so equal trees give equal
 * digests whatever source kind delivered them, and no two different trees collide by concatenation.
 */
public final class ProjectSource {

    private final SortedMap<String, byte[]> files;
    private final String digest;
    private final String revision;

    public ProjectSource(Map<String, byte[]> files, String revision) {
        this.files = Collections.unmodifiableSortedMap(new TreeMap<>(files));
        this.digest = digestOf(this.files);
        this.revision = revision;
    }

    public SortedMap<String, byte[]> files() {
        return files;
    }

    /** {@code sha256:<hex>} over the tree. */
    public String digest() {
        return digest;
    }

    /** Where the tree came from, e.g. {@code configmap/app@resourceVersion}. */
    public String revision() {
        return revision;
    }

    public long totalBytes() {
        return files.values().stream().mapToLong(b -> b.length).sum();
    }

    private static String digestOf(SortedMap<String, byte[]> files) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java runtime", e);
        }
        for (var entry : files.entrySet()) {
            byte[] path = entry.getKey().getBytes(StandardCharsets.UTF_8);
            update(sha, path);
            update(sha, entry.getValue());
        }
        return "sha256:" + HexFormat.of().formatHex(sha.digest());
    }

    private static void update(MessageDigest sha, byte[] bytes) {
        long length = bytes.length;
        for (int shift = 56; shift >= 0; shift -= 8) {
            sha.update((byte) (length >>> shift));
        }
        sha.update(bytes);
    }
}
