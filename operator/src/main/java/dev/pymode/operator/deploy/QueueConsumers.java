package dev.pymode.operator.deploy;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import dev.pymode.cloudflare.CloudflareClient;
import dev.pymode.cloudflare.Queue;
import dev.pymode.cloudflare.QueueConsumer;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorkerSpec;
import dev.pymode.operator.inventory.AccountInventory;

/**
 * A worker's {@code spec.queueConsumers} on Cloudflare: its script is the Worker consumer of each named queue (queues
 * and dead-letter queues are created when missing), with the asked settings, and of no other queue. Compared against
 * the account's queue listing ({@link AccountInventory}, shared and read once per interval), so a worker whose
 * consumers are in place costs no call; only a difference is written (consumer create, update or delete).
 */
final class QueueConsumers {

    private QueueConsumers() {
    }

    /** The consumers the spec asks for, for this script. */
    static List<QueueConsumer> desired(String script, PyModeWorkerSpec spec) {
        return spec.getQueueConsumers().stream().map(c -> new QueueConsumer(null, script, c.getBatchSize(),
                c.getMaxRetries(), c.getMaxWaitTimeMs(), null, c.getDeadLetterQueue())).toList();
    }

    /** The queue each desired consumer consumes, in the same order. */
    static List<String> queues(PyModeWorkerSpec spec) {
        return spec.getQueueConsumers().stream().map(c -> c.getQueue()).toList();
    }

    /** Whether the listing shows every desired consumer as asked (no call when the listing is fresh). */
    static boolean inPlace(AccountInventory inventory, String script, PyModeWorkerSpec spec) {
        List<QueueConsumer> desired = desired(script, spec);
        List<String> queues = queues(spec);
        for (int i = 0; i < desired.size(); i++) {
            String name = queues.get(i);
            QueueConsumer want = desired.get(i);
            boolean ok = inventory.queues().stream().filter(q -> q.name().equals(name)).findFirst()
                    .flatMap(q -> consumerOf(q, script)).map(want::satisfiedBy).orElse(false);
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** Makes Cloudflare match the spec; returns what changed (empty when nothing did). */
    static List<String> sync(CloudflareClient client, AccountInventory inventory, String script, PyModeWorkerSpec spec) {
        String account = inventory.account();
        List<QueueConsumer> desired = desired(script, spec);
        List<String> queues = queues(spec);
        List<String> changes = new ArrayList<>();
        for (int i = 0; i < desired.size(); i++) {
            QueueConsumer want = desired.get(i);
            if (want.deadLetterQueue() != null) {
                inventory.queue(want.deadLetterQueue());
            }
            Queue queue = inventory.queue(queues.get(i));
            Optional<QueueConsumer> have = consumerOf(queue, script);
            if (have.isPresent() && want.satisfiedBy(have.get())) {
                continue;
            }
            QueueConsumer made = have.isPresent()
                    ? client.updateQueueConsumer(account, queue.id(), have.get().id(), want)
                    : client.createQueueConsumer(account, queue.id(), want);
            changes.add((have.isPresent() ? "updated" : "attached") + " consumer of queue " + queue.name());
            inventory.rememberQueue(withConsumer(queue, script, made));
        }
        Set<String> wanted = Set.copyOf(queues);
        for (Queue queue : List.copyOf(inventory.queues())) {
            if (wanted.contains(queue.name())) {
                continue;
            }
            Optional<QueueConsumer> stale = consumerOf(queue, script);
            if (stale.isPresent()) {
                client.deleteQueueConsumer(account, queue.id(), stale.get().id());
                changes.add("detached from queue " + queue.name());
                inventory.rememberQueue(withConsumer(queue, script, null));
            }
        }
        return changes;
    }

    /** Before the script is deleted: it stops consuming every queue (read fresh; the worker is going away). */
    static void detach(CloudflareClient client, String account, String script) {
        for (Queue queue : client.listQueues(account)) {
            consumerOf(queue, script).ifPresent(c -> client.deleteQueueConsumer(account, queue.id(), c.id()));
        }
    }

    private static Optional<QueueConsumer> consumerOf(Queue queue, String script) {
        return queue.consumers().stream().filter(c -> script.equals(c.scriptName())).findFirst();
    }

    private static Queue withConsumer(Queue queue, String script, QueueConsumer consumer) {
        List<QueueConsumer> consumers = queue.consumers().stream().filter(c -> !script.equals(c.scriptName()))
                .collect(Collectors.toCollection(ArrayList::new));
        if (consumer != null) {
            consumers.add(consumer.scriptName() == null ? new QueueConsumer(consumer.id(), script, consumer.batchSize(),
                    consumer.maxRetries(), consumer.maxWaitTimeMs(), consumer.retryDelay(), consumer.deadLetterQueue())
                    : consumer);
        }
        return new Queue(queue.id(), queue.name(), consumers);
    }
}
