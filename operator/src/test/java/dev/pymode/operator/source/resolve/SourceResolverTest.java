package dev.pymode.operator.source.resolve;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorker;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorkerStatus;
import dev.pymode.testkit.ManualClock;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The SourceReady stage's retry policy for failures of fetched sources, and how ConfigMap keys name paths. */
@Tag("unit")
class SourceResolverTest {

    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private static PyModeWorker failingSince(Instant since, String reason) {
        var status = new PyModeWorkerStatus();
        status.setConditions(new java.util.ArrayList<>(List.of(new ConditionBuilder().withType("SourceReady")
                .withStatus("False").withReason(reason).withLastTransitionTime(since.toString()).build())));
        var worker = new PyModeWorker();
        worker.setStatus(status);
        return worker;
    }

    @Test
    void transientFailuresBackOffForAsLongAsTheyLastUpToTheInterval() {
        ManualClock clock = new ManualClock(T0);
        var resolver = new SourceResolver(null, null, null, new ObjectMapper(), clock);
        Duration interval = Duration.ofMinutes(5);

        assertThat(resolver.backoff(new PyModeWorker(), "SourceUnavailable", interval)).isEqualTo(Duration.ofSeconds(5));
        PyModeWorker worker = failingSince(T0, "SourceUnavailable");
        assertThat(resolver.backoff(worker, "SourceUnavailable", interval)).isEqualTo(Duration.ofSeconds(5));
        clock.advance(Duration.ofSeconds(20));
        assertThat(resolver.backoff(worker, "SourceUnavailable", interval)).isEqualTo(Duration.ofSeconds(20));
        clock.advance(Duration.ofHours(1));
        assertThat(resolver.backoff(worker, "SourceUnavailable", interval)).isEqualTo(interval);
        assertThat(resolver.backoff(worker, "SourceUnavailable", Duration.ofHours(2))).isEqualTo(Duration.ofMinutes(5));
        assertThat(resolver.backoff(worker, "RegistryUnavailable", interval)).as("another failure starts over")
                .isEqualTo(Duration.ofSeconds(5));
        assertThat(resolver.backoff(worker, "SourceUnavailable", Duration.ofSeconds(2))).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void configMapKeysSpellNestedPathsWithTheSeparator() {
        assertThat(SourceResolver.toPath("src--utils--__init__.py")).isEqualTo("src/utils/__init__.py");
        assertThat(SourceResolver.toPath("main.py")).isEqualTo("main.py");
    }
}
