package dev.pymode.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import dev.pymode.delivery.support.Repo;
import org.junit.jupiter.api.Test;

/**
 * The chart's crds/ is a copy of the repository's crds/ (generated from the Java model): Helm only reads CRDs from
 * inside the chart, so the copy is kept byte-identical by charts/sync-crds.sh and checked here.
 */
class ChartCrdsDriftTest {

    @Test
    void chartCrdsAreTheGeneratedCrds() throws IOException {
        Path source = Repo.crds();
        Path chart = Repo.chart().resolve("crds");
        List<String> sourceNames = yamlFiles(source);
        assertThat(sourceNames).as("CRDs in %s", source).isNotEmpty();
        assertThat(yamlFiles(chart)).as("charts/pymode-operator/crds differs from crds/: run charts/sync-crds.sh")
                .isEqualTo(sourceNames);
        for (String name : sourceNames) {
            assertThat(Files.readString(chart.resolve(name)))
                    .as("charts/pymode-operator/crds/%s differs from crds/%s: run charts/sync-crds.sh", name, name)
                    .isEqualTo(Files.readString(source.resolve(name)));
        }
    }

    private static List<String> yamlFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".yml") || n.endsWith(".yaml")).sorted().toList();
        }
    }
}
