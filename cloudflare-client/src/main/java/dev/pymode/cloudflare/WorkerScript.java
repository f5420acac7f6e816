package dev.pymode.cloudflare;

/**
 * A script as listed or as returned by an upload.
 *
 * @param migrationTag the last applied Durable Object migration tag, null when none was ever applied
 */
public record WorkerScript(String id, String etag, String migrationTag, String modifiedOn) {
}
