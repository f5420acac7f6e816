package dev.pymode.operator.api.v1alpha1.worker;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.pymode.operator.api.v1alpha1.common.SpecInput;
import dev.pymode.operator.api.v1alpha1.common.Syntax;
import dev.pymode.operator.api.v1alpha1.common.SecretKeyReference;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** Where the worker runs on Cloudflare. */
public class CloudflareTarget {

    @JsonPropertyDescription("Cloudflare account ID (32 hex characters). Defaults to the operator's account.")
    @ValidationRule(value = "self.matches('^[0-9a-f]{32}$')", message = "accountId must be 32 lowercase hex characters")
    @Size(max = 32)
    @SpecInput(SpecInput.Kind.DEPLOY)
    private String accountId;

    @JsonPropertyDescription("Secret key holding the API token. Defaults to the operator's credential Secret.")
    @SpecInput(SpecInput.Kind.DEPLOY)
    private SecretKeyReference apiTokenSecretRef;

    @JsonPropertyDescription("Worker script name. Defaults to metadata.name.")
    @Size(max = 63)
    @ValidationRule(value = "self.matches('^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$')",
            message = "scriptName must be 1-63 lowercase letters, digits or '-', starting and ending with a letter or digit")
    @SpecInput(SpecInput.Kind.DEPLOY)
    private String scriptName;

    @JsonPropertyDescription("Serve the worker on its workers.dev subdomain.")
    @Default("true")
    @SpecInput(SpecInput.Kind.DEPLOY)
    private Boolean workersDev = Boolean.TRUE;

    @JsonPropertyDescription("Routes on zones of the account, e.g. `example.com/api/*`.")
    @Size(max = 32)
    @SpecInput(SpecInput.Kind.DEPLOY)
    private List<WorkerRoute> routes = new ArrayList<>();

    @JsonPropertyDescription("Workers compatibility date (YYYY-MM-DD); unset, the project's one default applies, "
            + "which every bundle states in its manifest.")
    @Size(max = 10)
    @ValidationRule(value = Syntax.CALENDAR_DATE,
            message = "compatibilityDate must be a real calendar date in the form YYYY-MM-DD (month 01-12, a day "
                    + "the month has)")
    @SpecInput(SpecInput.Kind.DEPLOY)
    private String compatibilityDate;

    @JsonPropertyDescription("Workers compatibility flags, added to the ones the runtime needs.")
    @Size(max = 32)
    @ValidationRule(value = "self.all(f, f.matches(r'''" + Syntax.COMPATIBILITY_FLAG + "'''))",
            messageExpression = "'compatibility flag ' + " + Syntax.SHOW_BEGIN + "self.filter(f, !f.matches(r'''"
                    + Syntax.COMPATIBILITY_FLAG + "'''))[0]" + Syntax.SHOW_END + " + ': compatibilityFlags entries must be Cloudflare flag names: lowercase letters, "
                    + "digits and _ (e.g. nodejs_compat)'")
    @SpecInput(SpecInput.Kind.DEPLOY)
    private List<@Size(min = 1, max = 128) String> compatibilityFlags = new ArrayList<>();

    @JsonPropertyDescription("What happens to the KV namespaces, R2 buckets and D1 databases this worker created "
            + "when the worker is deleted: Delete (unless another worker still binds them) or Retain. The script "
            + "itself is always deleted.")
    @Default("Delete")
    @SpecInput(SpecInput.Kind.DEPLOY)
    private ResourcePolicy resourcePolicy = ResourcePolicy.Delete;

    @JsonPropertyDescription("Gradual rollout: the share of traffic the newest version gets.")
    @SpecInput(SpecInput.Kind.DEPLOY)
    private Rollout rollout;

    public String getAccountId() { return accountId; }
    public void setAccountId(String accountId) { this.accountId = accountId; }
    public SecretKeyReference getApiTokenSecretRef() { return apiTokenSecretRef; }
    public void setApiTokenSecretRef(SecretKeyReference apiTokenSecretRef) { this.apiTokenSecretRef = apiTokenSecretRef; }
    public String getScriptName() { return scriptName; }
    public void setScriptName(String scriptName) { this.scriptName = scriptName; }
    public Boolean getWorkersDev() { return workersDev; }
    public void setWorkersDev(Boolean workersDev) { this.workersDev = workersDev; }
    public List<WorkerRoute> getRoutes() { return routes; }
    public void setRoutes(List<WorkerRoute> routes) { this.routes = routes; }
    public String getCompatibilityDate() { return compatibilityDate; }
    public void setCompatibilityDate(String compatibilityDate) { this.compatibilityDate = compatibilityDate; }
    public List<String> getCompatibilityFlags() { return compatibilityFlags; }
    public void setCompatibilityFlags(List<String> compatibilityFlags) { this.compatibilityFlags = compatibilityFlags; }
    public ResourcePolicy getResourcePolicy() { return resourcePolicy; }
    public void setResourcePolicy(ResourcePolicy resourcePolicy) { this.resourcePolicy = resourcePolicy; }
    public Rollout getRollout() { return rollout; }
    public void setRollout(Rollout rollout) { this.rollout = rollout; }
}
