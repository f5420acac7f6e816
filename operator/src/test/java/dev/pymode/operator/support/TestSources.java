package dev.pymode.operator.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pymode.operator.source.resolve.SourceResolver;
import dev.pymode.operator.source.git.GitSourceFetcher;
import dev.pymode.operator.source.oci.OciSourceFetcher;
import io.fabric8.kubernetes.client.KubernetesClient;

/** A {@link SourceResolver} wired as the operator wires it, with its git cache in a fresh directory. */
public final class TestSources {

    private TestSources() {
    }

    public static SourceResolver resolver(KubernetesClient client) {
        try {
            Path dir = Files.createTempDirectory("pymode-sources");
            Clock clock = Clock.systemUTC();
            return new SourceResolver(client, git(dir, clock), new OciSourceFetcher(new ObjectMapper(),
                    Duration.ofSeconds(15), Set.of(), clock), new ObjectMapper(), clock);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static GitSourceFetcher git(Path dir, Clock clock) {
        return new GitSourceFetcher(dir, 1L << 30, Duration.ofSeconds(15), Duration.ofSeconds(30), clock);
    }
}
