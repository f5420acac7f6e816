package dev.pymode.cloudflare;

import java.util.List;
import java.util.Objects;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One tagged Durable Object migration, as in wrangler's {@code [[migrations]]}. The worker's full history is
 * a list of these; {@link Migrations} picks the steps the remote script has not applied yet.
 */
public record MigrationStep(String tag, List<String> newClasses, List<String> newSqliteClasses,
        List<String> deletedClasses, List<Rename> renamedClasses, List<Transfer> transferredClasses) {

    public record Rename(String from, String to) {
    }

    public record Transfer(String from, String fromScript, String to) {
    }

    public MigrationStep {
        Objects.requireNonNull(tag, "tag");
        newClasses = List.copyOf(newClasses);
        newSqliteClasses = List.copyOf(newSqliteClasses);
        deletedClasses = List.copyOf(deletedClasses);
        renamedClasses = List.copyOf(renamedClasses);
        transferredClasses = List.copyOf(transferredClasses);
    }

    /** The common first step: create SQLite-backed Durable Object classes. */
    public static MigrationStep newSqliteClasses(String tag, String... classes) {
        return new MigrationStep(tag, List.of(), List.of(classes), List.of(), List.of(), List.of());
    }

    /** The step as uploaded: wrangler strips the tag and leaves out empty lists. */
    ObjectNode toJson() {
        ObjectNode step = JsonNodeFactory.instance.objectNode();
        strings(step, "new_classes", newClasses);
        strings(step, "new_sqlite_classes", newSqliteClasses);
        strings(step, "deleted_classes", deletedClasses);
        if (!renamedClasses.isEmpty()) {
            ArrayNode renamed = step.putArray("renamed_classes");
            renamedClasses.forEach(r -> renamed.addObject().put("from", r.from()).put("to", r.to()));
        }
        if (!transferredClasses.isEmpty()) {
            ArrayNode transferred = step.putArray("transferred_classes");
            transferredClasses.forEach(t -> transferred.addObject().put("from", t.from())
                    .put("from_script", t.fromScript()).put("to", t.to()));
        }
        return step;
    }

    private static void strings(ObjectNode step, String field, List<String> values) {
        if (!values.isEmpty()) {
            ArrayNode array = step.putArray(field);
            values.forEach(array::add);
        }
    }
}
