package dev.pymode.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pymode.operator.api.v1alpha1.worker.KvBinding;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorker;
import dev.pymode.operator.api.v1alpha1.worker.QueueBinding;
import dev.pymode.operator.api.v1alpha1.worker.QueueConsumerSpec;
import dev.pymode.operator.api.v1alpha1.worker.ServiceBinding;
import dev.pymode.operator.api.v1alpha1.worker.WorkerBindings;
import dev.pymode.operator.status.Conditions;
import dev.pymode.operator.support.Edge;
import dev.pymode.operator.support.EndToEndResource;
import dev.pymode.operator.support.Namespaces;
import dev.pymode.operator.support.Ready;
import dev.pymode.operator.support.Standin;
import dev.pymode.operator.support.Workers;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Issue #18 item 4, the two kinds added through the registries: a producer worker's request sends to a queue
 * (spec.bindings.queues), the operator creates the queues and attaches the consumer worker (spec.queueConsumers)
 * through the Queues API, and the consumer's Python on_queue runs in workerd and writes KV; the producer calls the
 * consumer through a service binding (spec.bindings.services). The tests build on one another.
 */
@QuarkusTest
@QuarkusTestResource(value = EndToEndResource.class, restrictToAnnotatedClass = true)
@Tag("e2e")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class QueuesAndServicesEndToEndTest {

    private static final String NS = "e2e-queues";
    private static final Duration READY_TIMEOUT = Duration.ofMinutes(10);
    private static final String QUEUES = "/accounts/" + EndToEndResource.ACCOUNT + "/queues";

    private static final String CONSUMER = """
            import json
            from pymode.workers import Response

            def on_queue(batch, env):
                for m in batch.messages:
                    env.RESULTS.put(f"{batch.queue}:{m.body['id']}", json.dumps({"attempts": m.attempts, "body": m.body}))
                    m.ack()

            def on_fetch(request, env):
                return Response(f"consumer got {request.method} {request.path} {request.text()}")
            """;

    private static final String PRODUCER = """
            from pymode.workers import Response

            def on_fetch(request, env):
                if request.path == "/send":
                    ident = request.query["id"][0]
                    env.JOBS.send({"id": ident})
                    env.JOBS.send_batch([{"id": ident + "-b1"}, {"id": ident + "-b2"}])
                    return Response("sent", status=202)
                if request.path == "/call":
                    r = env.CONSUMER.fetch("https://consumer.internal/hello", method="POST", body="ping")
                    return Response(f"{r.status} {r.text}")
                if request.path == "/result":
                    value = env.RESULTS.get(request.query["key"][0])
                    return Response("missing", status=404) if value is None else Response(value)
                return Response("Not Found", status=404)
            """;

    private static int pokes;

    @Inject
    KubernetesClient client;

    private static KvBinding results() {
        KvBinding kv = new KvBinding();
        kv.setName("RESULTS");
        kv.setNamespace("e2e-queue-results");
        return kv;
    }

    private static HttpResponse<String> request(PyModeWorker worker, String pathAndQuery) throws Exception {
        String url = worker.getStatus().getDeployment().getUrl().replaceAll("/$", "") + pathAndQuery;
        return Edge.send(EndToEndResource.cloudflare.baseUrl(), url, "GET", null);
    }

    @Test
    @Order(1)
    void theConsumerWorkerIsAttachedToItsQueueWhichTheOperatorCreated() throws Exception {
        Namespaces.ensure(client, NS);
        PyModeWorker consumer = Workers.inline(NS, "queue-consumer", CONSUMER);
        var bindings = new WorkerBindings();
        bindings.getKv().add(results());
        consumer.getSpec().setBindings(bindings);
        var spec = new QueueConsumerSpec();
        spec.setQueue("e2e-jobs");
        spec.setBatchSize(5);
        spec.setMaxRetries(2);
        spec.setMaxWaitTimeMs(100);
        spec.setDeadLetterQueue("e2e-jobs-dlq");
        consumer.getSpec().getQueueConsumers().add(spec);
        client.resource(consumer).create();
        Ready.await(client, PyModeWorker.class, NS, "queue-consumer", READY_TIMEOUT);

        JsonNode queues = Standin.apiJson(QUEUES).path("result");
        JsonNode jobs = null;
        List<String> names = new ArrayList<>();
        for (JsonNode q : queues) {
            names.add(q.path("queue_name").asText());
            if (q.path("queue_name").asText().equals("e2e-jobs")) {
                jobs = q;
            }
        }
        assertThat(names).contains("e2e-jobs", "e2e-jobs-dlq");
        assertThat(jobs.path("consumers")).hasSize(1);
        JsonNode attached = jobs.path("consumers").get(0);
        assertThat(attached.path("script").asText()).isEqualTo("queue-consumer");
        assertThat(attached.path("dead_letter_queue").asText()).isEqualTo("e2e-jobs-dlq");
        assertThat(attached.path("settings").path("batch_size").asInt()).isEqualTo(5);
        assertThat(attached.path("settings").path("max_retries").asInt()).isEqualTo(2);
    }

    @Test
    @Order(2)
    void aProducersRequestRunsTheConsumersOnQueueAndAServiceBindingReachesTheConsumer() throws Exception {
        PyModeWorker producer = Workers.inline(NS, "queue-producer", PRODUCER);
        var bindings = new WorkerBindings();
        bindings.getKv().add(results());
        var queue = new QueueBinding();
        queue.setName("JOBS");
        queue.setQueue("e2e-jobs");
        bindings.getQueues().add(queue);
        var service = new ServiceBinding();
        service.setName("CONSUMER");
        service.setService("queue-consumer");
        bindings.getServices().add(service);
        producer.getSpec().setBindings(bindings);
        client.resource(producer).create();
        PyModeWorker ready = Ready.await(client, PyModeWorker.class, NS, "queue-producer", READY_TIMEOUT);

        HttpResponse<String> sent = request(ready, "/send?id=order-7");
        assertThat(sent.statusCode()).as(sent.body()).isEqualTo(202);
        for (String id : List.of("order-7", "order-7-b1", "order-7-b2")) {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(300)).untilAsserted(() -> {
                HttpResponse<String> r = request(ready, "/result?key=e2e-jobs:" + id);
                assertThat(r.statusCode()).as("KV entry the consumer's on_queue writes for " + id).isEqualTo(200);
                assertThat(r.body()).isEqualTo("{\"attempts\": 1, \"body\": {\"id\": \"" + id + "\"}}");
            });
        }

        HttpResponse<String> called = request(ready, "/call");
        assertThat(called.statusCode()).isEqualTo(200);
        assertThat(called.body()).isEqualTo("200 consumer got POST /hello ping");
    }

    @Test
    @Order(3)
    void aResyncOfTheConsumerWithItsConsumerInPlaceMakesNoCallOfItsOwn() throws Exception {
        Ready.await(client, PyModeWorker.class, NS, "queue-consumer", READY_TIMEOUT);
        Standin.requestsAndClear();
        Thread.sleep(2500); // the shared listings' interval in these tests
        Workers.poke(client, NS, "queue-consumer", "poke-" + ++pokes);
        Thread.sleep(4000);
        List<String> requests = Standin.requestsAndClear();
        // the shared account listings only (the queue listing among them): no consumer write, no per-worker call
        assertThat(requests).allSatisfy(r -> assertThat(r).startsWith("GET ").doesNotContain("queue-consumer")
                .doesNotContain("/consumers"));
        PyModeWorker consumer = client.resources(PyModeWorker.class).inNamespace(NS).withName("queue-consumer").get();
        assertThat(Conditions.find(consumer.getStatus().getConditions(), "Deployed").orElseThrow().getReason())
                .isEqualTo("UpToDate");
    }

    @Test
    @Order(4)
    void aConsumerDetachedBehindTheOperatorsBackIsAttachedAgain() throws Exception {
        JsonNode jobs = null;
        for (JsonNode q : Standin.apiJson(QUEUES).path("result")) {
            if (q.path("queue_name").asText().equals("e2e-jobs")) {
                jobs = q;
            }
        }
        String queueId = jobs.path("queue_id").asText();
        String consumerId = jobs.path("consumers").get(0).path("consumer_id").asText();
        Standin.api("DELETE", QUEUES + "/" + queueId + "/consumers/" + consumerId, null);
        Thread.sleep(2500);
        Workers.poke(client, NS, "queue-consumer", "poke-" + ++pokes);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
            JsonNode again = null;
            for (JsonNode q : Standin.apiJson(QUEUES).path("result")) {
                if (q.path("queue_name").asText().equals("e2e-jobs")) {
                    again = q;
                }
            }
            assertThat(again.path("consumers")).hasSize(1);
            assertThat(again.path("consumers").get(0).path("script").asText()).isEqualTo("queue-consumer");
        });
    }
}
