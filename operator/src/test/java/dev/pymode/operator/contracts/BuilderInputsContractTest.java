package dev.pymode.operator.contracts;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pymode.operator.builds.BuildKey;
import dev.pymode.operator.builds.BuilderCommand;
import dev.pymode.operator.builds.ExtensionBuildKey;
import dev.pymode.operator.builds.SnapshotMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/**
 * The builder's command line at the operator's end (schemas/builder-inputs.schema.json): the argv BuilderCommand
 * makes for worker and extension builds, read as the document the schema describes, is valid. The reader's end
 * (pymode_build.py's argparse and its checks) is builder-image/tests/test_builder_contract.py, on the same examples.
 */
@Tag("unit")
class BuilderInputsContractTest {

    /** The options argparse takes more than once (action="append"): a list in the document. */
    private static final Set<String> REPEATABLE = Set.of("package", "annotation", "extension", "catalogue_extension");

    /**
     * argv after the program → the schema's document: the subcommand as {@code command}, each {@code --name=VALUE} or
     * {@code --name VALUE} under argparse's name for it (dashes to underscores).
     */
    static ObjectNode document(List<String> argv) {
        ObjectNode doc = Contracts.JSON.createObjectNode().put("command", argv.get(0));
        for (int i = 1; i < argv.size(); i++) {
            String arg = argv.get(i);
            assertThat(arg).as("argv element %d", i).startsWith("--");
            int eq = arg.indexOf('=');
            String name = (eq < 0 ? arg.substring(2) : arg.substring(2, eq)).replace('-', '_');
            String value = eq < 0 ? argv.get(++i) : arg.substring(eq + 1);
            if (REPEATABLE.contains(name)) {
                (doc.has(name) ? (ArrayNode) doc.get(name) : doc.putArray(name)).add(value);
            } else {
                assertThat(doc.has(name)).as("--%s given twice", name).isFalse();
                doc.put(name, value);
            }
        }
        return doc;
    }

    private static List<String> afterProgram(List<String> argv) {
        return argv.subList(2, argv.size());
    }

    @Test
    void workerBuildsInEverySnapshotMode() {
        for (SnapshotMode wizer : SnapshotMode.values()) {
            BuildKey key = new BuildKey("sha256:" + "a".repeat(64), "src/entry.py",
                    List.of("fastapi==0.115.6", "httpx[http2]; python_version >= '3.12'"),
                    Map.of("orjson", "sha256:" + "b".repeat(64)), "registry:5000/pymode/runtime@sha256:" + "c".repeat(64),
                    wizer, "t1");
            List<String> argv = BuilderCommand.argv("python3", "/opt/pymode/pymode_build.py", "worker", "/workspace/source",
                    BuilderCommand.workerArguments(key, List.of("registry:5000/pymode/extensions/orjson:e-1"),
                            List.of("registry:5000/pymode/recipes/pyyaml:r-2"), "registry:5000/pymode/bundles/w:b-3",
                            "main@1a62d02"));
            ObjectNode doc = document(afterProgram(argv));
            assertThat(Contracts.errors("builder-inputs.schema.json", doc)).as(wizer.name()).isEmpty();
            assertThat(doc.path("package")).hasSize(2);
        }
    }

    @Test
    void extensionBuilds() {
        ExtensionBuildKey key = new ExtensionBuildKey("pydantic-core", "sha256:" + "d".repeat(64),
                "registry:5000/pymode/runtime@sha256:" + "c".repeat(64), "t1");
        List<String> argv = BuilderCommand.argv("python3", "/opt/pymode/pymode_build.py", "extension", "/workspace/recipes",
                BuilderCommand.extensionArguments(key, "registry:5000/pymode/extensions/pydantic-core:e-4"));
        assertThat(Contracts.errors("builder-inputs.schema.json", document(afterProgram(argv)))).isEmpty();
    }
}
