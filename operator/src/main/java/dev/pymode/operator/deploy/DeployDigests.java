package dev.pymode.operator.deploy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import dev.pymode.cloudflare.QueueConsumer;
import dev.pymode.cloudflare.WorkerUpload;
import dev.pymode.operator.bindings.BindingKinds;
import dev.pymode.operator.workflow.ScheduleEntry;

/**
 * The digests the deploy stage compares instead of asking Cloudflare (issue #18), and the script tag that
 * carries one of them to Cloudflare so a worker whose status was lost can be adopted without an upload.
 */
public final class DeployDigests {

    /** Script tags are at most 10 per script (OpenAPI {@code workers_tags}); ours is one of them. */
    static final int MAX_TAGS = 10;
    static final String TAG_PREFIX = "pymode-upload=";

    private DeployDigests() {
    }

    /**
     * What the upload sends: its content hash (modules, bindings, settings; secret values left out), the
     * secrets' fingerprint and the traffic share. Equal digests mean an upload would change nothing.
     */
    public static String upload(WorkerUpload upload, String secretsFingerprint, int percentage) {
        return sha256(upload.contentHash(), secretsFingerprint, Integer.toString(percentage));
    }

    /**
     * Everything an upload is made from, known without a Cloudflare call or the bundle: while it is unchanged
     * (and the listing shows the script unchanged), the upload would be the same.
     */
    public static String inputs(Long generation, String artifactDigest, BindingKinds.Resolved resources,
                                String secretsFingerprint, List<ScheduleEntry> schedules, List<QueueConsumer> consumers) {
        // a schedule entry (a record) prints every field the upload's schedule var is made of
        List<String> scheduled = schedules.stream().map(ScheduleEntry::toString).sorted().toList();
        List<String> parts = new ArrayList<>(List.of(String.valueOf(generation), artifactDigest));
        parts.addAll(resources.digestParts());
        parts.add(secretsFingerprint);
        parts.add(scheduled.toString());
        if (!consumers.isEmpty()) {
            // only workers that consume queues have this part, so every other worker's digest is as before
            parts.add("consumers=" + consumers.stream().map(QueueConsumer::toString).sorted().toList());
        }
        return sha256(parts.toArray(String[]::new));
    }

    /**
     * Secret values keyed-hashed with the account's API token: a changed value changes the digest, while the
     * digest (in status and in a script tag) tells nothing about the value to whoever lacks the token.
     */
    public static String secrets(String apiToken, Map<String, String> values) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(apiToken.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            new TreeMap<>(values).forEach((name, value) -> {
                mac.update(lengthPrefixed(name));
                mac.update(lengthPrefixed(value));
            });
            return "hmac-sha256:" + HexFormat.of().formatHex(mac.doFinal());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The script tag recording an upload digest. */
    public static String tag(String uploadDigest) {
        return TAG_PREFIX + uploadDigest.substring(uploadDigest.indexOf(':') + 1);
    }

    /** The script's tags with ours replaced by this digest's; others are kept (ours is dropped last when full). */
    public static List<String> withTag(List<String> current, String uploadDigest) {
        List<String> tags = new ArrayList<>(current.stream().filter(t -> !t.startsWith(TAG_PREFIX)).toList());
        if (tags.size() < MAX_TAGS) {
            tags.add(tag(uploadDigest));
        }
        return tags;
    }

    private static String sha256(String... parts) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (String part : parts) {
                sha.update(lengthPrefixed(part));
            }
            return "sha256:" + HexFormat.of().formatHex(sha.digest());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The part's UTF-8 bytes after their length, so bytes cannot move from one part to the next unnoticed. */
    private static byte[] lengthPrefixed(String part) {
        byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(Integer.BYTES + bytes.length).putInt(bytes.length).put(bytes).array();
    }
}
