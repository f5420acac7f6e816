package dev.pymode.operator.builds;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The builder's argv: every value from a resource's spec is one {@code --option=VALUE} element, so the builder's
 * parser reads it as that option's value even when it starts with '-' (no spec value becomes an option or a
 * positional argument), and the operator's own values come in the order the builder documents.
 */
@Tag("unit")
class BuilderCommandTest {

    private static final String RUNTIME = "reg.example/pymode/runtime@sha256:" + "1".repeat(64);

    private static BuildKey key(List<String> packages, String entry) {
        return new BuildKey("sha256:src", entry, packages, Map.of(), RUNTIME, SnapshotMode.OFF, "sha256:tool");
    }

    @Test
    void packagesThatLookLikeOptionsStayTheValueOfTheirOwnElement() {
        List<String> hostile = List.of("--index-url=https://evil.example/simple", "-r /etc/passwd", "--", "six");
        List<String> args = BuilderCommand.workerArguments(key(hostile, "src/entry.py"), List.of(), List.of(),
                "reg/b:t", "rev");
        assertThat(args).containsSubsequence("--package=--index-url=https://evil.example/simple",
                "--package=-r /etc/passwd", "--package=--", "--package=six");
        // no element is a bare spec value that the parser could take as an option or as "end of options"
        assertThat(args).doesNotContainAnyElementsOf(hostile);
    }

    @Test
    void theEntryIsOneElementToo() {
        List<String> args = BuilderCommand.workerArguments(key(List.of(), "--push=evil"), List.of(), List.of(),
                "reg/b:t", "rev");
        assertThat(args).startsWith("--entry=--push=evil", "--runtime-ref", RUNTIME);
        assertThat(args).containsOnlyOnce("--push");
        assertThat(args.get(args.indexOf("--push") + 1)).isEqualTo("reg/b:t");
    }

    @Test
    void extensionsThenCatalogueRecipesThenPackagesThenThePushAndItsAnnotations() {
        BuildKey key = new BuildKey("sha256:src", "app.py", List.of("attrs"), Map.of(), RUNTIME, SnapshotMode.AUTO,
                "sha256:tool");
        List<String> args = BuilderCommand.workerArguments(key, List.of("reg/ext/a@sha256:1", "reg/ext/b@sha256:2"),
                List.of("reg/ext/zstd@sha256:3"), "reg/bundles:bk-x", "git:abc");
        assertThat(args).containsExactly("--entry=app.py", "--runtime-ref", RUNTIME,
                "--extension", "reg/ext/a@sha256:1", "--extension", "reg/ext/b@sha256:2",
                "--catalogue-extension", "reg/ext/zstd@sha256:3",
                "--package=attrs", "--wizer=auto",
                "--push", "reg/bundles:bk-x",
                "--annotation", "dev.pymode.build-key=" + key.hash(),
                "--annotation", "dev.pymode.source-digest=sha256:src",
                "--annotation", "dev.pymode.source-revision=git:abc",
                "--annotation", "dev.pymode.runtime=" + RUNTIME,
                "--annotation", "dev.pymode.toolchain=sha256:tool");
    }

    @Test
    void anExtensionBuildNamesItsRecipeAsOneElement() {
        ExtensionBuildKey key = new ExtensionBuildKey("-x", "sha256:recipes", RUNTIME, "sha256:tool");
        List<String> args = BuilderCommand.extensionArguments(key, "reg/ext:bk-y");
        assertThat(args).startsWith("--recipe=-x", "--runtime-ref", RUNTIME, "--push", "reg/ext:bk-y")
                .contains("dev.pymode.build-key=" + key.hash(), "dev.pymode.recipes-digest=sha256:recipes")
                .doesNotContain("-x");
    }

    @Test
    void theArgvPutsTheSubcommandAndSourceBeforeTheArguments() {
        assertThat(BuilderCommand.argv("python3", "/opt/b.py", "worker", "/workspace/source", List.of("--entry=e.py")))
                .containsExactly("python3", "/opt/b.py", "worker", "--source", "/workspace/source", "--entry=e.py");
    }

    @Test
    void theExitCodesAndEnvironmentAreTheBuildersOwn() throws Exception {
        String builder = Files.readString(Path.of("..", "builder-image", "bundler", "pymode_build.py"));
        assertThat(builder).contains("\nEXIT_INVALID_INPUT = " + BuilderCommand.EXIT_INVALID_INPUT + "\n")
                .contains("\nEXIT_NEEDS_RECIPES = " + BuilderCommand.EXIT_NEEDS_RECIPES + "\n")
                .contains("\"" + BuilderCommand.ENV_PACKAGE_INDEX_URL + "\"")
                .contains("\"" + BuilderCommand.ENV_PACKAGE_INDEX_USERNAME + "\"")
                .contains("\"" + BuilderCommand.ENV_PACKAGE_INDEX_PASSWORD + "\"");
    }
}
