package dev.pymode.operator.api.v1alpha1.worker;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** The handler's `env`: every binding name is unique across all kinds. */
// CRD validation has no cel.bind, so `[list].all(names, ...)` binds the concatenated names once.
@ValidationRule(value = WorkerBindings.ALL_NAMES + ".all(names, names.all(n, names.filter(m, m == n).size() == 1))",
        message = "binding names must be unique across kv, r2, d1, queues, services, secrets and vars")
@ValidationRule(value = WorkerBindings.ALL_NAMES + ".all(names, names.all(n, !(n in " + WorkerBindings.RESERVED_NAMES + ")))",
        message = "binding names " + WorkerBindings.RESERVED_NAMES + " are reserved for the runtime (its static "
                + "assets, Durable Objects and settings)")
public class WorkerBindings {

    /** Every binding name of the spec as one CEL list, bound once by `[list].all(names, ...)` in the rules above. */
    static final String ALL_NAMES = "[(has(self.kv) ? self.kv.map(b, b.name) : [])"
        + " + (has(self.r2) ? self.r2.map(b, b.name) : [])"
        + " + (has(self.d1) ? self.d1.map(b, b.name) : [])"
        + " + (has(self.queues) ? self.queues.map(b, b.name) : [])"
        + " + (has(self.services) ? self.services.map(b, b.name) : [])"
        + " + (has(self.secrets) ? self.secrets.map(b, b.name) : [])"
        + " + (has(self.vars) ? self.vars.map(k, k) : [])]";

    /**
     * Binding names the runtime's bundle (static assets, Durable Objects) and the operator (its vars) use, as a CEL
     * list: a spec binding of that name would clash in the upload.
     */
    public static final String RESERVED_NAMES = "['PYMODE_ASSETS', 'PYTHON_DO', 'THREAD_DO', 'PYMODE_BINDINGS_DECL', "
            + "'PYMODE_SCHEDULES', 'PYMODE_ROUTING', 'PYMODE_SHARDS', 'PYMODE_SHARD_KEY', 'PYMODE_POOL_MAX_REQUESTS']";

    @JsonPropertyDescription("Workers KV namespaces.")
    @Size(max = 32)
    private List<KvBinding> kv = new ArrayList<>();

    @JsonPropertyDescription("R2 buckets.")
    @Size(max = 32)
    private List<R2Binding> r2 = new ArrayList<>();

    @JsonPropertyDescription("D1 databases.")
    @Size(max = 32)
    private List<D1Binding> d1 = new ArrayList<>();

    @JsonPropertyDescription("Cloudflare Queues the handler sends to (producer bindings).")
    @Size(max = 32)
    private List<QueueBinding> queues = new ArrayList<>();

    @JsonPropertyDescription("Other Workers the handler calls (service bindings).")
    @Size(max = 32)
    private List<ServiceBinding> services = new ArrayList<>();

    @JsonPropertyDescription("Plain-text variables (visible in the resource; use secrets for credentials).")
    @Size(max = 64)
    @ValidationRule(value = "self.all(k, k.matches('" + NamedBinding.PYTHON_IDENTIFIER + "') && !(k in "
            + NamedBinding.PYTHON_KEYWORDS + ")) && self.all(k, size(self[k]) <= 5120)",
            message = "var names must be valid Python identifiers and not keywords; values at most 5120 characters")
    private Map<String, String> vars = new LinkedHashMap<>();

    @JsonPropertyDescription("Secrets from Kubernetes Secrets, uploaded as Worker secrets.")
    @Size(max = 64)
    private List<SecretBinding> secrets = new ArrayList<>();

    public List<KvBinding> getKv() { return kv; }
    public void setKv(List<KvBinding> kv) { this.kv = kv; }
    public List<R2Binding> getR2() { return r2; }
    public void setR2(List<R2Binding> r2) { this.r2 = r2; }
    public List<D1Binding> getD1() { return d1; }
    public void setD1(List<D1Binding> d1) { this.d1 = d1; }
    public List<QueueBinding> getQueues() { return queues; }
    public void setQueues(List<QueueBinding> queues) { this.queues = queues; }
    public List<ServiceBinding> getServices() { return services; }
    public void setServices(List<ServiceBinding> services) { this.services = services; }
    public Map<String, String> getVars() { return vars; }
    public void setVars(Map<String, String> vars) { this.vars = vars; }
    public List<SecretBinding> getSecrets() { return secrets; }
    public void setSecrets(List<SecretBinding> secrets) { this.secrets = secrets; }
}
