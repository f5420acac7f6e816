package dev.pymode.cloudflare;

import java.util.List;

/**
 * A script as listed or as returned by an upload.
 *
 * @param migrationTag the last applied Durable Object migration tag, null when none was ever applied
 * @param tags         the script-level tags (at most 10; an upload answer may omit them: empty then)
 */
public record WorkerScript(String id, String etag, String migrationTag, String modifiedOn, List<String> tags) {

    public WorkerScript {
        tags = tags == null ? List.of() : List.copyOf(tags);
    }

    /**
     * This upload answer as a listing shows the script: an answer without an id is the script {@code name}, one
     * without tags has the {@code sentTags} the upload set.
     */
    public WorkerScript asListed(String name, List<String> sentTags) {
        return new WorkerScript(id == null ? name : id, etag, migrationTag, modifiedOn, tags.isEmpty() ? sentTags : tags);
    }
}
