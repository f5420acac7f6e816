package dev.pymode.operator.api.v1alpha1.worker;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.pymode.operator.api.v1alpha1.common.Syntax;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** Another Worker script the handler calls ({@code env.<name>.fetch(...)}); it must exist in the same account. */
public class ServiceBinding extends NamedBinding {

    @JsonPropertyDescription("Script name of the Worker to call (another PyModeWorker's script, or any Worker).")
    @Required
    @Size(min = 1, max = 63)
    @ValidationRule(value = "self.matches('" + Syntax.SCRIPT_NAME + "')",
            message = "service must be a Worker script name: 1-63 lowercase letters, digits or '-'")
    private String service;

    @JsonPropertyDescription("Named entrypoint (a WorkerEntrypoint class) of that Worker; its default export when unset.")
    @Size(min = 1, max = 128)
    @ValidationRule(value = "self.matches('^[A-Za-z_$][A-Za-z0-9_$]*$')", message = "entrypoint must be a JavaScript class name")
    private String entrypoint;

    public String getService() { return service; }
    public void setService(String service) { this.service = service; }
    public String getEntrypoint() { return entrypoint; }
    public void setEntrypoint(String entrypoint) { this.entrypoint = entrypoint; }
}
