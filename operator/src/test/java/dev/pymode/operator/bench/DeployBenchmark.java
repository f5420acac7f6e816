package dev.pymode.operator.bench;

import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorker;
import dev.pymode.operator.support.EndToEndResource;
import dev.pymode.operator.support.Namespaces;
import dev.pymode.operator.support.Workers;
import dev.pymode.operator.support.Ready;
import dev.pymode.operator.support.Standin;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Benchmark (not a test: it prints figures and asserts nothing about time). Run with `make bench-deploy`.
 * The whole operator against the real API server, registry, builder and the Cloudflare stand-in, with the
 * runtime artifact already published (a warm runtime). Side by side: apply → Ready for a worker whose bundle
 * must be built, for a second worker with the same source (bundle cache hit), for a source update (new
 * version), and the cost of a no-op reconcile; for each, the Cloudflare API calls the operator made.
 */
@QuarkusTest
@QuarkusTestResource(value = EndToEndResource.class, restrictToAnnotatedClass = true)
@Tag("benchmark")
class DeployBenchmark {

    private static final String NS = "bench-deploy";

    @Inject
    KubernetesClient client;

    private static String handler(String greeting) {
        return """
                from pymode.workers import Response

                def on_fetch(request, env):
                    return Response("%s")
                """.formatted(greeting);
    }

    private static PyModeWorker worker(String name, String code) {
        return Workers.inline(NS, name, code);
    }

    /** Seconds until the worker is Ready for its current generation. */
    private double untilReady(String name, long startNanos) {
        Ready.await(client, PyModeWorker.class, NS, name, Duration.ofMinutes(10));
        return (System.nanoTime() - startNanos) / 1e9;
    }

    /** The Cloudflare calls since the last clear, counted per operation. */
    private static Map<String, Integer> callsAndClear() throws Exception {
        Map<String, Integer> calls = new TreeMap<>();
        for (JsonNode request : Standin.adminJson("/__standin/requests").path("requests")) {
            calls.merge(request.path("method").asText() + " " + request.path("operation").asText(), 1, Integer::sum);
        }
        Standin.admin("DELETE", "/__standin/requests", null);
        return calls;
    }

    private static void report(String what, double seconds, Map<String, Integer> calls) {
        int total = calls.values().stream().mapToInt(Integer::intValue).sum();
        String time = Double.isNaN(seconds) ? "       -  " : String.format("%8.2f s", seconds);
        System.out.printf("%-46s %s %5d Cloudflare calls%n", what, time, total);
        calls.forEach((operation, n) -> System.out.printf("    %3d  %s%n", n, operation));
    }

    @Test
    void run() throws Exception {
        Namespaces.ensure(client, NS);
        callsAndClear();
        System.out.println("\n== apply -> Ready, warm runtime (the runtime artifact is in the registry)");

        String unique = "Hello from the deploy benchmark " + System.nanoTime();
        long t0 = System.nanoTime();
        client.resource(worker("fresh", handler(unique))).create();
        report("new worker, bundle built", untilReady("fresh", t0), callsAndClear());

        t0 = System.nanoTime();
        client.resource(worker("same-source", handler(unique))).create();
        report("second worker, same source (bundle cache hit)", untilReady("same-source", t0), callsAndClear());

        // A no-op pass, as the periodic resync makes one.
        Workers.poke(client, NS, "fresh", "poke");
        Thread.sleep(5000);
        report("no-op reconcile (nothing changed)", Double.NaN, callsAndClear());

        t0 = System.nanoTime();
        client.resources(PyModeWorker.class).inNamespace(NS).withName("fresh").edit(w -> {
            w.getSpec().getSource().getInline().getFiles().get(0).setContent(handler(unique + " v2"));
            return w;
        });
        report("source update (new bundle, new version)", untilReady("fresh", t0), callsAndClear());
    }
}
