package dev.pymode.operator.builds;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.pymode.testkit.ManualClock;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** One build per key across resources: against an executor that records what it was asked to start. */
@Tag("unit")
class SharedBuildsTest {

    /** Builds by namespace/name and their phase; what a real executor would report. */
    private static final class RecordingExecutor implements BuildExecutor {
        final Map<String, BuildObservation.Phase> builds = new HashMap<>();
        final List<String> started = new ArrayList<>();
        final Map<String, List<ResourceID>> waiters = new HashMap<>();
        int observed;

        @Override
        public void wakeWhenFinished(BuildRequest running, ResourceID waiter) {
            waiters.computeIfAbsent(id(running), k -> new ArrayList<>()).add(waiter);
        }

        @Override
        public BuildObservation observe(BuildRequest request) {
            observed++;
            return switch (builds.getOrDefault(id(request), BuildObservation.Phase.ABSENT)) {
                case RUNNING -> BuildObservation.running("running");
                case SUCCEEDED -> BuildObservation.succeeded();
                case FAILED -> BuildObservation.failed("failed");
                case ABSENT -> BuildObservation.absent();
            };
        }

        @Override
        public boolean start(BuildRequest request) {
            started.add(id(request));
            return builds.putIfAbsent(id(request), BuildObservation.Phase.RUNNING) == null;
        }

        @Override
        public void delete(String namespace, String buildName) {
            builds.remove(namespace + "/" + buildName);
        }

        @Override
        public List<String> buildsOf(String namespace, String ownerKind, String ownerName) {
            return List.of();
        }

        @Override
        public <P extends HasMetadata> EventSource<?, P> completions(Class<P> ownerType, EventSourceContext<P> context) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Duration recheck() {
            return Duration.ofSeconds(5);
        }

        static String id(BuildRequest r) {
            return r.namespace() + "/" + r.name();
        }
    }

    /** A build request of the worker named like the build's first part ("w1" for "w1-build-k"). */
    private static BuildRequest request(String namespace, String name) {
        return new BuildRequest(namespace, name, null, Map.of(BuildLabels.OWNER_NAME, name.split("-")[0]), "worker",
                new TreeMap<>(), List.of());
    }

    private final ManualClock clock = new ManualClock(Instant.parse("2026-12-07T00:00:00Z"));
    private final RecordingExecutor executor = new RecordingExecutor();
    private final SharedBuilds shared = new SharedBuilds(executor, clock);

    @Test
    void aThousandResourcesWithOneKeyStartOneBuild() {
        var first = shared.startUnlessRunningElsewhere("k", request("team-0", "w0-build-k"));
        assertThat(first.runningElsewhere()).isEmpty();
        assertThat(first.created()).isTrue();
        for (int i = 1; i < 1000; i++) {
            var other = shared.startUnlessRunningElsewhere("k", request("team-" + i % 10, "w" + i + "-build-k"));
            assertThat(other.runningElsewhere()).map(RecordingExecutor::id).contains("team-0/w0-build-k");
            clock.advance(Duration.ofMillis(10));
        }
        assertThat(executor.started).containsExactly("team-0/w0-build-k");
        // every waiter is woken with the build, not left to poll
        assertThat(executor.waiters.get("team-0/w0-build-k")).hasSize(999)
                .contains(new ResourceID("w1", "team-1"), new ResourceID("w999", "team-9"));
        // the running answer is believed for a second: ten seconds of asking cost about ten looks
        assertThat(executor.observed).isLessThanOrEqualTo(11);
        // another key is not held up
        assertThat(shared.startUnlessRunningElsewhere("other", request("team-1", "x-build-o")).created()).isTrue();
    }

    @Test
    void whenTheSharedBuildIsGoneTheNextResourceBuilds() {
        shared.startUnlessRunningElsewhere("k", request("a", "w0-build-k"));
        assertThat(shared.startUnlessRunningElsewhere("k", request("b", "w1-build-k")).runningElsewhere()).isPresent();
        executor.delete("a", "w0-build-k"); // its owner was deleted, or the Job evicted
        clock.advance(Duration.ofSeconds(2));
        var taken = shared.startUnlessRunningElsewhere("k", request("b", "w1-build-k"));
        assertThat(taken.runningElsewhere()).isEmpty();
        assertThat(executor.started).containsExactly("a/w0-build-k", "b/w1-build-k");
    }

    @Test
    void aReleasedKeyIsClaimedAgainAndItsHolderIsNeverToldToWait() {
        shared.startUnlessRunningElsewhere("k", request("a", "w0-build-k"));
        assertThat(shared.startUnlessRunningElsewhere("k", request("a", "w0-build-k")).runningElsewhere())
                .as("its own build").isEmpty();
        shared.release("k", "b", "w1-build-k"); // not the holder: nothing happens
        assertThat(shared.startUnlessRunningElsewhere("k", request("b", "w1-build-k")).runningElsewhere()).isPresent();
        shared.release("k", "a", "w0-build-k");
        assertThat(shared.startUnlessRunningElsewhere("k", request("b", "w1-build-k")).runningElsewhere()).isEmpty();
    }
}
