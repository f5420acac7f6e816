package dev.pymode.cloudflare;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A Worker consumer of a queue: the script Cloudflare delivers batches to, and its delivery settings
 * ({@code null} settings are Cloudflare's defaults). {@code id} is null for one not created yet.
 *
 * @param deadLetterQueue name of the queue that gets messages whose retries ran out, or null
 */
public record QueueConsumer(String id, String scriptName, Integer batchSize, Integer maxRetries, Integer maxWaitTimeMs,
                            Integer retryDelay, String deadLetterQueue) {

    /** The request body of consumer create/update ({@code type: worker}). */
    public ObjectNode toRequest() {
        ObjectNode body = JsonNodeFactory.instance.objectNode().put("script_name", scriptName).put("type", "worker");
        if (deadLetterQueue != null) {
            body.put("dead_letter_queue", deadLetterQueue);
        }
        ObjectNode settings = body.putObject("settings");
        if (batchSize != null) {
            settings.put("batch_size", batchSize);
        }
        if (maxRetries != null) {
            settings.put("max_retries", maxRetries);
        }
        if (maxWaitTimeMs != null) {
            settings.put("max_wait_time_ms", maxWaitTimeMs);
        }
        if (retryDelay != null) {
            settings.put("retry_delay", retryDelay);
        }
        return body;
    }

    /** Whether the listed consumer {@code other} delivers as this one asks (settings left null take any value). */
    public boolean satisfiedBy(QueueConsumer other) {
        return scriptName.equals(other.scriptName)
                && (batchSize == null || batchSize.equals(other.batchSize))
                && (maxRetries == null || maxRetries.equals(other.maxRetries))
                && (maxWaitTimeMs == null || maxWaitTimeMs.equals(other.maxWaitTimeMs))
                && (retryDelay == null || retryDelay.equals(other.retryDelay))
                && java.util.Objects.equals(deadLetterQueue, other.deadLetterQueue);
    }

    static QueueConsumer fromJson(JsonNode json) {
        JsonNode settings = json.path("settings");
        // the API names the script `script` in listings and `script_name` in requests; accept both
        String script = json.hasNonNull("script_name") ? json.get("script_name").asText()
                : json.hasNonNull("script") ? json.get("script").asText() : null;
        return new QueueConsumer(text(json, "consumer_id"), script, integer(settings, "batch_size"),
                integer(settings, "max_retries"), integer(settings, "max_wait_time_ms"), integer(settings, "retry_delay"),
                text(json, "dead_letter_queue"));
    }

    private static String text(JsonNode json, String field) {
        return json.hasNonNull(field) && !json.get(field).asText().isEmpty() ? json.get(field).asText() : null;
    }

    private static Integer integer(JsonNode json, String field) {
        return json.hasNonNull(field) ? json.get(field).asInt() : null;
    }
}
