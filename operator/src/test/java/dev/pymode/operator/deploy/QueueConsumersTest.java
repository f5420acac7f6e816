package dev.pymode.operator.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import dev.pymode.cloudflare.CloudflareClient;
import dev.pymode.cloudflare.ModuleType;
import dev.pymode.cloudflare.Queue;
import dev.pymode.cloudflare.QueueConsumer;
import dev.pymode.cloudflare.WorkerUpload;
import dev.pymode.devenv.LocalCloudflare;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorkerSpec;
import dev.pymode.operator.api.v1alpha1.worker.QueueConsumerSpec;
import dev.pymode.operator.inventory.AccountInventories;
import dev.pymode.operator.inventory.AccountInventory;
import dev.pymode.operator.support.StandinRequests;
import dev.pymode.testkit.ManualClock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** spec.queueConsumers against the Cloudflare stand-in's Queues API, counted from its request log. */
class QueueConsumersTest {

    private static final String ACCOUNT = "0123456789abcdef0123456789abcdef";
    private static final Duration INTERVAL = Duration.ofMinutes(2);
    private static LocalCloudflare cloudflare;
    private static CloudflareClient client;

    private final ManualClock clock = new ManualClock(Instant.parse("2026-12-07T00:00:00Z"));

    @BeforeAll
    static void startStandin() throws Exception {
        cloudflare = new LocalCloudflare(Files.createTempDirectory("queues-test"), ACCOUNT, "queues-token").start();
        client = CloudflareClient.builder(cloudflare.token()).baseUrl(cloudflare.apiUrl()).build();
        for (String script : List.of("consumer-a", "consumer-b")) {
            client.uploadScript(ACCOUNT, script, WorkerUpload.builder("index.js").compatibilityDate("2025-04-01")
                    .module("index.js", ModuleType.ESM, "export default { queue() {} };".getBytes(StandardCharsets.UTF_8))
                    .build());
        }
    }

    @AfterAll
    static void stopStandin() throws Exception {
        client.close();
        cloudflare.close();
    }

    /** The API calls since the last look ("METHOD path", queue and consumer ids as Q and C); the log is cleared. */
    private static List<String> calls() throws Exception {
        return StandinRequests.since(cloudflare, ACCOUNT).stream().map(c -> c.replaceAll("/queues/[0-9a-f]{32}", "/queues/Q")
                .replaceAll("/consumers/[0-9a-f]{32}", "/consumers/C")).toList();
    }

    private static PyModeWorkerSpec consuming(String queue, Integer batchSize, String dlq) {
        var c = new QueueConsumerSpec();
        c.setQueue(queue);
        c.setBatchSize(batchSize);
        c.setMaxRetries(4);
        c.setDeadLetterQueue(dlq);
        var spec = new PyModeWorkerSpec();
        spec.getQueueConsumers().add(c);
        return spec;
    }

    private static Queue listed(String name) {
        return client.listQueues(ACCOUNT).stream().filter(q -> q.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void missingQueuesAreCreatedTheConsumerAttachedAndThenNothingIsSentAgain() throws Exception {
        AccountInventory inventory = new AccountInventories(INTERVAL, clock).of(client, ACCOUNT);
        calls();
        PyModeWorkerSpec spec = consuming("orders", 10, "orders-dlq");
        assertThat(QueueConsumers.inPlace(inventory, "consumer-a", spec)).isFalse();
        assertThat(QueueConsumers.sync(client, inventory, "consumer-a", spec)).containsExactly("attached consumer of queue orders");
        assertThat(calls()).containsExactly("GET /queues", "GET /queues", "POST /queues", "GET /queues", "POST /queues",
                "POST /queues/Q/consumers");
        QueueConsumer attached = listed("orders").consumers().get(0);
        assertThat(attached.scriptName()).isEqualTo("consumer-a");
        assertThat(attached.batchSize()).isEqualTo(10);
        assertThat(attached.maxRetries()).isEqualTo(4);
        assertThat(attached.deadLetterQueue()).isEqualTo("orders-dlq");
        calls();

        // in place: answered from the shared listing, no call at all
        assertThat(QueueConsumers.inPlace(inventory, "consumer-a", spec)).isTrue();
        assertThat(QueueConsumers.sync(client, inventory, "consumer-a", spec)).isEmpty();
        assertThat(calls()).isEmpty();

        // a changed setting is one update; a queue no longer listed in the spec is detached
        PyModeWorkerSpec bigger = consuming("orders", 50, "orders-dlq");
        assertThat(QueueConsumers.inPlace(inventory, "consumer-a", bigger)).isFalse();
        assertThat(QueueConsumers.sync(client, inventory, "consumer-a", bigger)).containsExactly("updated consumer of queue orders");
        assertThat(calls()).containsExactly("PUT /queues/Q/consumers/C");
        assertThat(listed("orders").consumers().get(0).batchSize()).isEqualTo(50);
        assertThat(QueueConsumers.sync(client, inventory, "consumer-a", consuming("payments", null, null)))
                .containsExactly("attached consumer of queue payments", "detached from queue orders");
        assertThat(listed("orders").consumers()).isEmpty();
        assertThat(listed("payments").consumers()).extracting(QueueConsumer::scriptName).containsExactly("consumer-a");

        // the worker goes away: it stops consuming everything before its script is deleted
        QueueConsumers.detach(client, ACCOUNT, "consumer-a");
        assertThat(listed("payments").consumers()).isEmpty();
    }

    @Test
    void aQueueAnotherScriptConsumesIsRefusedByCloudflareNotTakenOver() {
        AccountInventory inventory = new AccountInventories(INTERVAL, clock).of(client, ACCOUNT);
        QueueConsumers.sync(client, inventory, "consumer-b", consuming("shared-q", null, null));
        org.assertj.core.api.Assertions.assertThatThrownBy(() ->
                        QueueConsumers.sync(client, inventory, "consumer-a", consuming("shared-q", null, null)))
                .hasMessageContaining("already has a Worker consumer (consumer-b)");
        assertThat(listed("shared-q").consumers()).extracting(QueueConsumer::scriptName).containsExactly("consumer-b");
    }
}
