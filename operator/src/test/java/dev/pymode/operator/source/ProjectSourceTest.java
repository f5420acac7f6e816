package dev.pymode.operator.source;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class ProjectSourceTest {

    private static Map<String, byte[]> files(String... pathsAndContents) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (int i = 0; i < pathsAndContents.length; i += 2) {
            files.put(pathsAndContents[i], pathsAndContents[i + 1].getBytes(UTF_8));
        }
        return files;
    }

    @Test
    void digestIgnoresInsertionOrderAndRevision() {
        var a = new ProjectSource(files("src/entry.py", "x", "README", "y"), "inline@1");
        var b = new ProjectSource(files("README", "y", "src/entry.py", "x"), "configmap/app@7");
        assertThat(a.digest()).isEqualTo(b.digest()).startsWith("sha256:").hasSize(71);
    }

    @Test
    void digestChangesWithContentOrPath() {
        var base = new ProjectSource(files("a.py", "1"), "r");
        assertThat(new ProjectSource(files("a.py", "2"), "r").digest()).isNotEqualTo(base.digest());
        assertThat(new ProjectSource(files("b.py", "1"), "r").digest()).isNotEqualTo(base.digest());
    }

    @Test
    void lengthPrefixesPreventBoundaryCollisions() {
        var a = new ProjectSource(files("ab", "c"), "r");
        var b = new ProjectSource(files("a", "bc"), "r");
        assertThat(a.digest()).isNotEqualTo(b.digest());
    }

    @Test
    void knownDigestStaysStable() {
        // Pinned so an accidental change to the digest scheme (which would rebuild every worker) fails loudly.
        var source = new ProjectSource(files("src/entry.py", "print(1)\n"), "r");
        assertThat(source.digest())
                .isEqualTo("sha256:" + ProjectSourceTestVectors.ENTRY_PRINT_1);
    }
}
