package dev.pymode.operator.builds;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorker;
import io.javaoperatorsdk.operator.processing.event.Event;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Local builds wake their owner when the process ends, also after an operator restart adopted the process. */
class LocalProcessBuildExecutorTest {

    @TempDir
    Path tmp;

    /** A builder stand-in: waits for a file to appear, then fails, like a build that ran and hit an error. */
    private Path program() throws Exception {
        Path program = tmp.resolve("builder.py");
        Files.writeString(program, """
                import os, sys, time
                go = os.path.join(os.path.dirname(os.path.abspath(__file__)), "go")
                while not os.path.exists(go):
                    time.sleep(0.05)
                print("ERROR: the stand-in builder failed")
                sys.exit(1)
                """);
        return program;
    }

    private LocalProcessBuildExecutor executor(Path program) {
        return new LocalProcessBuildExecutor(tmp.resolve("builds"), "python3", program.toString(), Map.of(),
                Duration.ofMinutes(30), Clock.systemUTC(), new ObjectMapper());
    }

    private static BuildRequest request() {
        return new BuildRequest("apps", "hello-build-0123456789ab", null,
                BuildLabels.of("PyModeWorker", "hello", "f".repeat(64)), "worker", new TreeMap<>(), List.of());
    }

    /** The reconciler's side: the events the executor's event source hands to JOSDK. */
    private static LinkedBlockingQueue<ResourceID> listen(EventSource<?, PyModeWorker> source) {
        LinkedBlockingQueue<ResourceID> events = new LinkedBlockingQueue<>();
        source.setEventHandler((Event event) -> events.add(event.getRelatedCustomResourceID()));
        source.start();
        return events;
    }

    @Test
    void theOwnerIsWokenWhenTheProcessEnds() throws Exception {
        Path program = program();
        LocalProcessBuildExecutor executor = executor(program);
        var events = listen(executor.completions(PyModeWorker.class, null));

        assertThat(executor.start(request())).isTrue();
        assertThat(executor.start(request())).as("a second start finds the build").isFalse();
        assertThat(executor.observe(request()).phase()).isEqualTo(BuildObservation.Phase.RUNNING);
        assertThat(events).isEmpty();

        Files.writeString(tmp.resolve("go"), "");
        assertThat(events.poll(10, TimeUnit.SECONDS)).isEqualTo(new ResourceID("hello", "apps"));
        BuildObservation failed = executor.observe(request());
        assertThat(failed.phase()).isEqualTo(BuildObservation.Phase.FAILED);
        assertThat(failed.failure().kind()).isEqualTo(BuildObservation.FailureKind.BUILD_ERROR);
        assertThat(failed.detail()).contains("the stand-in builder failed");
        assertThat(events.poll(200, TimeUnit.MILLISECONDS)).as("one wake per process").isNull();
    }

    @Test
    void resourcesWaitingForTheSameArtifactAreWokenWithTheOwnerAndALateOneAtOnce() throws Exception {
        LocalProcessBuildExecutor executor = executor(program());
        var events = listen(executor.completions(PyModeWorker.class, null));
        assertThat(executor.start(request())).isTrue();
        executor.wakeWhenFinished(request(), new ResourceID("twin", "team-b"));
        assertThat(events.poll(300, TimeUnit.MILLISECONDS)).as("not before the build ends").isNull();

        Files.writeString(tmp.resolve("go"), "");
        List<ResourceID> woken = new ArrayList<>();
        woken.add(events.poll(10, TimeUnit.SECONDS));
        woken.add(events.poll(10, TimeUnit.SECONDS));
        assertThat(woken).containsExactlyInAnyOrder(new ResourceID("hello", "apps"), new ResourceID("twin", "team-b"));

        // one that starts waiting after the process ended is not left to its recheck
        executor.wakeWhenFinished(request(), new ResourceID("late", "team-c"));
        assertThat(events.poll(10, TimeUnit.SECONDS)).isEqualTo(new ResourceID("late", "team-c"));
    }

    @Test
    void aRestartedOperatorIsWokenByTheProcessItAdopted() throws Exception {
        Path program = program();
        assertThat(executor(program).start(request())).isTrue();

        LocalProcessBuildExecutor restarted = executor(program);
        var events = listen(restarted.completions(PyModeWorker.class, null));
        assertThat(restarted.observe(request()).phase()).isEqualTo(BuildObservation.Phase.RUNNING);

        Files.writeString(tmp.resolve("go"), "");
        assertThat(events.poll(10, TimeUnit.SECONDS)).isEqualTo(new ResourceID("hello", "apps"));
        assertThat(restarted.observe(request()).phase()).isEqualTo(BuildObservation.Phase.FAILED);
    }

    @Test
    void aSpecValueTheRealBuilderRefusesIsAnInputErrorWithItsOneLine() throws Exception {
        // the real builder, given a package that is a pip option the way BuilderCommand passes values
        Path program = dev.pymode.operator.support.TestPaths.repoRoot().resolve("builder-image/bundler/pymode_build.py");
        LocalProcessBuildExecutor executor = executor(program);
        BuildRequest request = new BuildRequest("apps", "hello-build-0123456789ab", null,
                BuildLabels.of("PyModeWorker", "hello", "f".repeat(64)), "worker", new TreeMap<>(),
                List.of("--entry=src/entry.py", "--package=-r /etc/passwd", "--runtime-dir", tmp.toString(),
                        "--push", "127.0.0.1:9/x:t"));
        var events = listen(executor.completions(PyModeWorker.class, null));
        assertThat(executor.start(request)).isTrue();
        assertThat(events.poll(30, TimeUnit.SECONDS)).isEqualTo(new ResourceID("hello", "apps"));

        BuildObservation refused = executor.observe(request);
        assertThat(refused.phase()).isEqualTo(BuildObservation.Phase.FAILED);
        assertThat(refused.failure().kind()).isEqualTo(BuildObservation.FailureKind.INVALID_INPUT);
        assertThat(refused.failure().reason()).isEqualTo("InvalidInput");
        assertThat(refused.failure().summary()).isEqualTo("invalid input: package '-r /etc/passwd': pip options are "
                + "not allowed (the package index is an operator setting, chart value builder.packageIndex)");
    }
}
