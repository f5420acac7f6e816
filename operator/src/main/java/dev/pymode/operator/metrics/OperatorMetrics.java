package dev.pymode.operator.metrics;

import java.time.Duration;

import dev.pymode.cloudflare.ApiObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * The operator's own Prometheus metrics, next to the JVM's and the Java Operator SDK's (reconciliations started,
 * succeeded, failed and queued per controller). Names and labels are a contract with the chart's dashboard and
 * alerts (charts/pymode-operator/dashboards, templates/prometheusrule.yaml); labels only take a few values (kinds,
 * results, call templates, HTTP statuses), never a resource, script or account name.
 *
 * <ul>
 * <li>{@code pymode_build_artifacts_total{kind, source}}: a build stage found its artifact, built or from the cache;</li>
 * <li>{@code pymode_build_duration_seconds{kind, result}}: histogram of builds that ran, succeeded or failed;</li>
 * <li>{@code pymode_cloudflare_requests_seconds{operation, status}}: every Cloudflare API exchange (status 0: no
 * answer);</li>
 * <li>{@code pymode_cloudflare_permit_wait_seconds{operation}}: time spent waiting for the client-side budget;</li>
 * <li>{@code pymode_cloudflare_refused_total{operation, reason}}: calls not sent, {@code blocked} after a 429 or
 * {@code budget} when the wait would be too long.</li>
 * </ul>
 */
public class OperatorMetrics implements ApiObserver {

    private static final Duration[] BUILD_BUCKETS = {Duration.ofSeconds(5), Duration.ofSeconds(15),
            Duration.ofSeconds(30), Duration.ofMinutes(1), Duration.ofMinutes(2), Duration.ofMinutes(5),
            Duration.ofMinutes(10), Duration.ofMinutes(20), Duration.ofMinutes(30)};

    private final MeterRegistry registry;

    public OperatorMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Metrics that go nowhere (tests and tools that build stages by hand). */
    public static OperatorMetrics none() {
        return new OperatorMetrics(new SimpleMeterRegistry());
    }

    /** A build stage obtained its artifact; {@code kind} is the resource kind (PyModeWorker, PyModeExtension). */
    public void artifactFound(String kind, boolean fromCache) {
        Counter.builder("pymode.build.artifacts").description("artifacts obtained by build stages, by source")
                .tag("kind", kind).tag("source", fromCache ? "cache" : "build").register(registry).increment();
    }

    /** A build that ran finished. */
    public void buildFinished(String kind, boolean succeeded, Duration took) {
        Timer.builder("pymode.build.duration").description("builds that ran, from start to result")
                .tag("kind", kind).tag("result", succeeded ? "succeeded" : "failed")
                .serviceLevelObjectives(BUILD_BUCKETS).register(registry).record(took);
    }

    @Override
    public void exchanged(String call, int status, Duration took) {
        Timer.builder("pymode.cloudflare.requests").description("Cloudflare API exchanges by operation and status")
                .tag("operation", call).tag("status", Integer.toString(status)).register(registry).record(took);
    }

    @Override
    public void waitedForPermit(String call, Duration waited) {
        Timer.builder("pymode.cloudflare.permit.wait").description("waits for the client-side request budget")
                .tag("operation", call).register(registry).record(waited);
    }

    @Override
    public void refused(String call, String reason) {
        Counter.builder("pymode.cloudflare.refused").description("Cloudflare calls not sent because of the budget")
                .tag("operation", call).tag("reason", reason).register(registry).increment();
    }
}
