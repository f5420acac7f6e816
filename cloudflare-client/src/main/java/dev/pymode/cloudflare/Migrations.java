package dev.pymode.cloudflare;

import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Which migrations an upload must carry, given the remote script's {@code migration_tag} (wrangler's rules). */
public final class Migrations {

    private Migrations() {
    }

    /**
     * @param history   every migration of the worker, oldest first
     * @param remoteTag the deployed script's {@code migration_tag}; null when the script or its tag is absent
     * @return the {@code migrations} metadata object, or empty when the remote is up to date
     */
    public static Optional<ObjectNode> toUpload(List<MigrationStep> history, String remoteTag) {
        if (history.isEmpty()) {
            return Optional.empty();
        }
        String newTag = history.get(history.size() - 1).tag();
        if (newTag.equals(remoteTag)) {
            return Optional.empty();
        }
        List<MigrationStep> pending = history;
        if (remoteTag != null) {
            int applied = indexOf(history, remoteTag);
            // Like wrangler: a remote tag we do not know (history edited by hand) sends every step with
            // old_tag set, and Cloudflare then accepts or rejects it with a precise error.
            pending = applied < 0 ? history : history.subList(applied + 1, history.size());
        }
        ObjectNode migrations = JsonNodeFactory.instance.objectNode();
        if (remoteTag != null) {
            migrations.put("old_tag", remoteTag);
        }
        migrations.put("new_tag", newTag);
        ArrayNode steps = migrations.putArray("steps");
        pending.forEach(step -> steps.add(step.toJson()));
        return Optional.of(migrations);
    }

    private static int indexOf(List<MigrationStep> history, String tag) {
        for (int i = 0; i < history.size(); i++) {
            if (history.get(i).tag().equals(tag)) {
                return i;
            }
        }
        return -1;
    }
}
