package dev.pymode.operator.api.v1alpha1.worker;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.pymode.operator.api.v1alpha1.common.Syntax;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * This worker consumes a queue: Cloudflare delivers its messages in batches to the entry's
 * {@code on_queue(batch, env)}. Unset settings are Cloudflare's defaults.
 */
@ValidationRule(value = "!has(self.deadLetterQueue) || self.deadLetterQueue != self.queue",
        message = "deadLetterQueue must be another queue than the one consumed")
public class QueueConsumerSpec {

    @JsonPropertyDescription("Name of the queue to consume; created when missing.")
    @Required
    @Size(min = 1, max = 63)
    @ValidationRule(value = "self.matches('" + Syntax.QUEUE_NAME + "')",
            message = "queue names are 1-63 lowercase letters, digits or '-', starting and ending with a letter or digit")
    private String queue;

    @JsonPropertyDescription("Most messages per batch (1-100).")
    @Min(1)
    @Max(100)
    private Integer batchSize;

    @JsonPropertyDescription("How often a message is delivered again after a failed or retried batch (0-100) before "
            + "it goes to the dead-letter queue or is dropped.")
    @Min(0)
    @Max(100)
    private Integer maxRetries;

    @JsonPropertyDescription("Longest wait (milliseconds, 0-60000) for a batch to fill before it is delivered.")
    @Min(0)
    @Max(60000)
    private Integer maxWaitTimeMs;

    @JsonPropertyDescription("Queue that receives the messages whose retries ran out; created when missing.")
    @Size(min = 1, max = 63)
    @ValidationRule(value = "self.matches('" + Syntax.QUEUE_NAME + "')",
            message = "queue names are 1-63 lowercase letters, digits or '-', starting and ending with a letter or digit")
    private String deadLetterQueue;

    public String getQueue() { return queue; }
    public void setQueue(String queue) { this.queue = queue; }
    public Integer getBatchSize() { return batchSize; }
    public void setBatchSize(Integer batchSize) { this.batchSize = batchSize; }
    public Integer getMaxRetries() { return maxRetries; }
    public void setMaxRetries(Integer maxRetries) { this.maxRetries = maxRetries; }
    public Integer getMaxWaitTimeMs() { return maxWaitTimeMs; }
    public void setMaxWaitTimeMs(Integer maxWaitTimeMs) { this.maxWaitTimeMs = maxWaitTimeMs; }
    public String getDeadLetterQueue() { return deadLetterQueue; }
    public void setDeadLetterQueue(String deadLetterQueue) { this.deadLetterQueue = deadLetterQueue; }
}
