package dev.pymode.cloudflare;

import java.util.List;

/** A Cloudflare Queue as {@code GET /accounts/{account}/queues} lists it, with its consumers. */
public record Queue(String id, String name, List<QueueConsumer> consumers) {

    public Queue {
        consumers = List.copyOf(consumers);
    }
}
