package dev.pymode.operator.source;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class EntryLocatorTest {

    private static ProjectSource project(Map<String, String> files) {
        var bytes = new java.util.HashMap<String, byte[]>();
        files.forEach((k, v) -> bytes.put(k, v.getBytes(UTF_8)));
        return new ProjectSource(bytes, "test");
    }

    @Test
    void specEntryWins() {
        var located = EntryLocator.locate("app/main.py", project(Map.of("app/main.py", "", "src/entry.py", "")));
        assertThat(located.entry()).isEqualTo("app/main.py");
    }

    @Test
    void pyprojectMainIsUsedWhenSpecIsEmpty() {
        var located = EntryLocator.locate(null, project(Map.of(
                "pyproject.toml", "[project]\nname = \"x\"\nmain = \"wrong.py\"\n\n[tool.pymode]\nmain = \"app/handler.py\" # entry\n",
                "app/handler.py", "")));
        assertThat(located.entry()).isEqualTo("app/handler.py");
    }

    @Test
    void defaultIsSrcEntry() {
        assertThat(EntryLocator.locate("", project(Map.of("src/entry.py", ""))).entry()).isEqualTo("src/entry.py");
    }

    @Test
    void missingEntryIsATerminalFailureListingTheFiles() {
        var located = EntryLocator.locate(null, project(Map.of("main.py", "")));
        assertThat(located.entry()).isNull();
        assertThat(located.stage().reason()).isEqualTo("EntryNotFound");
        assertThat(located.stage().message()).contains("src/entry.py").contains("main.py");
    }

    @Test
    void unsafeEntryFromPyprojectIsRefused() {
        var located = EntryLocator.locate(null, project(Map.of("pyproject.toml", "[tool.pymode]\nmain = \"../x.py\"\n")));
        assertThat(located.stage().reason()).isEqualTo("InvalidEntry");
    }

    @Test
    void pathRules() {
        assertThat(ProjectPaths.isSafeRelative("src/utils/__init__.py")).isTrue();
        assertThat(ProjectPaths.isSafeRelative("/etc/passwd")).isFalse();
        assertThat(ProjectPaths.isSafeRelative("a/../b")).isFalse();
        assertThat(ProjectPaths.isSafeRelative("a//b")).isFalse();
        assertThat(ProjectPaths.isSafeRelative("./a")).isFalse();
        assertThat(ProjectPaths.isSafeRelative("a\\b")).isFalse();
    }
}
