package dev.pymode.operator;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import dev.pymode.operator.support.TestPaths;
import org.junit.jupiter.api.Test;

/** The committed crds/ must be exactly what the build generates from the Java model (`make crds` refreshes it). */
class CrdDriftTest {

    @Test
    void committedCrdsMatchTheGeneratedOnes() throws IOException {
        List<String> generated = names(TestPaths.generatedCrds());
        assertThat(generated).as("generated CRDs").hasSize(3);
        assertThat(names(TestPaths.committedCrds())).as("CRD files in crds/ (run `make crds`)")
                .containsExactlyElementsOf(generated);
        for (String name : generated) {
            assertThat(Files.readString(TestPaths.committedCrds().resolve(name)))
                    .as("crds/%s differs from the generated CRD: run `make crds` and commit", name)
                    .isEqualTo(Files.readString(TestPaths.generatedCrds().resolve(name)));
        }
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yml")).sorted().toList();
        }
    }
}
