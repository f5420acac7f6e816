package dev.pymode.operator.api.v1alpha1.worker;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.pymode.operator.api.v1alpha1.common.Syntax;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** A Cloudflare Queue the handler sends to ({@code env.<name>.send(...)}), found by name or created. */
public class QueueBinding extends NamedBinding {

    @JsonPropertyDescription("Name of the queue in the account; created when missing.")
    @Required
    @Size(min = 1, max = 63)
    @ValidationRule(value = "self.matches('" + Syntax.QUEUE_NAME + "')",
            message = "queue names are 1-63 lowercase letters, digits or '-', starting and ending with a letter or digit")
    private String queue;

    public String getQueue() { return queue; }
    public void setQueue(String queue) { this.queue = queue; }
}
