package dev.pymode.operator.contracts;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.pymode.operator.support.TestPaths;

/**
 * The contracts between modules as the Java tests read them: the JSON Schemas of schemas/ and their shared corpus of
 * examples (schemas/README.md), validated with the same draft (2020-12) the worker's and Python's tests use.
 */
final class Contracts {

    static final ObjectMapper JSON = new ObjectMapper();
    static final Path SCHEMAS = TestPaths.repoRoot().resolve("schemas");

    private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
    private static final Map<String, Schema> LOADED = new ConcurrentHashMap<>();

    private Contracts() {
    }

    /** The schema schemas/{@code path}, e.g. {@code worker-vars/schedules.schema.json}. */
    static JsonNode schemaDocument(String path) {
        return read(SCHEMAS.resolve(path));
    }

    /** What is wrong with {@code value} under schemas/{@code path}: one line per error, empty when it is valid. */
    static List<String> errors(String path, JsonNode value) {
        Schema schema = LOADED.computeIfAbsent(path, p -> {
            try (InputStream in = Files.newInputStream(SCHEMAS.resolve(p))) {
                return REGISTRY.getSchema(in);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        return schema.validate(value).stream().map(Error::toString).toList();
    }

    /** The examples of schemas/examples/{@code contract}/{@code which} ("valid" or "invalid"), by file name. */
    static Map<String, JsonNode> examples(String contract, String which) {
        Map<String, JsonNode> out = new TreeMap<>();
        try (Stream<Path> files = Files.list(SCHEMAS.resolve("examples").resolve(contract).resolve(which))) {
            files.filter(f -> f.toString().endsWith(".json")).forEach(f -> out.put(f.getFileName().toString(), read(f)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /**
     * The error fragment {@code reader} gives for the invalid example {@code file} (schemas/examples/{@code
     * contract}/rejections.json), or null when that reader does not check it.
     */
    static String rejection(String contract, String file, String reader) {
        JsonNode entry = read(SCHEMAS.resolve("examples").resolve(contract).resolve("rejections.json")).path(file);
        if (!entry.has(reader)) {
            throw new AssertionError("schemas/examples/" + contract + "/rejections.json says nothing of " + reader
                    + " for " + file);
        }
        return entry.get(reader).isNull() ? null : entry.get(reader).asText();
    }

    static JsonNode read(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
