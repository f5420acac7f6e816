package dev.pymode.operator.api.v1alpha1.worker;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.pymode.operator.api.v1alpha1.common.LocalObjectReference;
import dev.pymode.operator.api.v1alpha1.common.SpecInput;
import dev.pymode.operator.api.v1alpha1.common.Syntax;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** Desired state of a PyModeWorker. */
public class PyModeWorkerSpec {

    @JsonPropertyDescription("Where the Python project comes from: exactly one of inline, configMapRef, git or oci.")
    @Required
    @SpecInput(value = SpecInput.Kind.BUILD, buildKey = "sourceDigest")
    private WorkerSource source;

    @JsonPropertyDescription("Entry module, a path relative to the project root that defines on_fetch(request, env). "
            + "Empty means `[tool.pymode] main` from the project's pyproject.toml, else src/entry.py.")
    @Size(max = 512)
    @ValidationRule(value = "self == '' || (self.endsWith('.py') && !self.startsWith('/') && !self.matches('(^|/)\\\\.\\\\.(/|$)'))",
            message = "entry must be a relative path to a .py file without '..'")
    @SpecInput(value = SpecInput.Kind.BUILD, buildKey = "entry")
    private String entry;

    @JsonPropertyDescription("Pure-Python requirements from the operator's package index (PEP 508 strings by name: "
            + "`jinja2==3.1.4`, `httpx[http2]>=0.27,<1`, `attrs; python_version >= \"3.10\"`), installed for the "
            + "wasm target and pinned with hashes in the build. No pip options, URLs or paths: the index is an "
            + "operator setting (chart value builder.packageIndex).")
    @Size(max = 100)
    // Three rules, so the message says which one an entry breaks; each names the first entry that breaks it. The
    // builder checks every entry again with `packaging` (builder-image/bundler/pymode_build.py).
    @ValidationRule(value = "self.all(p, !p.startsWith('-'))",
            messageExpression = "'package ' + " + Syntax.SHOW_BEGIN + "self.filter(p, p.startsWith('-'))[0]"
                    + Syntax.SHOW_END + " + ': a package must not start with \\'-\\': pip options are not allowed "
                    + "(the package index is an operator setting, chart value builder.packageIndex)'")
    @ValidationRule(value = "self.all(p, !p.contains('/') && !p.contains('@') && !p.contains('\\\\'))",
            messageExpression = "'package ' + " + Syntax.SHOW_BEGIN
                    + "self.filter(p, p.contains('/') || p.contains('@') || p.contains('\\\\'))[0]" + Syntax.SHOW_END
                    + " + ': a package must be a name from the package index: URLs, paths and direct references "
                    + "(/, @, \\\\) are not allowed'")
    @ValidationRule(value = "self.all(p, p.matches(r'''" + Syntax.REQUIREMENT + "'''))",
            messageExpression = "'package ' + " + Syntax.SHOW_BEGIN + "self.filter(p, !p.matches(r'''"
                    + Syntax.REQUIREMENT + "'''))[0]" + Syntax.SHOW_END + " + ': a package must be a PEP 508 "
                    + "requirement: a name, optional [extras], optional version specifiers such as ==1.2 or >=1,<2 and "
                    + "an optional ; marker (e.g. httpx[http2]>=0.27,<1)'")
    @SpecInput(value = SpecInput.Kind.BUILD, buildKey = "packages")
    private List<@Size(min = 1, max = 256) String> packages = new ArrayList<>();

    @JsonPropertyDescription("PyModeExtension resources (C extensions as wasm side modules) to include in the bundle.")
    @Size(max = 32)
    @SpecInput(value = SpecInput.Kind.BUILD, buildKey = "extensionDigests")
    private List<LocalObjectReference> extensions = new ArrayList<>();

    @JsonPropertyDescription("Attach catalogue recipes automatically (default true): when the packages need a "
            + "distribution that publishes no pure-Python wheel, that no listed extension ships and that a recipe of the "
            + "operator's catalogue builds, the operator builds that recipe (the same artifact a PyModeExtension with "
            + "it gets) and bundles it; status.attachedRecipes names them. Distributions with a pure-Python mode "
            + "(MarkupSafe, PyYAML) keep it: list a PyModeExtension for their C speedups. False: such a build stops "
            + "naming the recipe to list as a PyModeExtension.")
    @Default("true")
    @SpecInput(value = SpecInput.Kind.BUILD, buildKey = "extensionDigests")
    private Boolean autoAttachRecipes = Boolean.TRUE;

    @JsonPropertyDescription("A Wizer snapshot of the interpreter with the entry module imported, trading a larger "
            + "bundle (about 1.5 MB gzip for a small project) for a cold start without imports. Unset: a snapshot "
            + "whenever one can be made, which is not the case when the entry imports a C extension or calls a "
            + "binding while it loads (status.artifact.snapshot then says why); true: the build fails instead; "
            + "false: none.")
    @SpecInput(value = SpecInput.Kind.BUILD, buildKey = "wizer")
    private Boolean wizer;

    @JsonPropertyDescription("Bindings exposed to the handler as attributes of `env`.")
    @SpecInput(SpecInput.Kind.DEPLOY)
    private WorkerBindings bindings;

    @JsonPropertyDescription("Where the worker's Python runs: in the Worker isolate (the default) or in Durable "
            + "Objects.")
    @SpecInput(SpecInput.Kind.DEPLOY)
    private WorkerRouting routing;

    @JsonPropertyDescription("Queues this worker consumes: their batches go to the entry's on_queue(batch, env). "
            + "Missing queues are created and the consumer is attached when the worker is deployed.")
    @Size(max = 16)
    @ValidationRule(value = "self.all(c, self.filter(d, d.queue == c.queue).size() == 1)",
            message = "each queue may be consumed once per worker")
    @SpecInput(SpecInput.Kind.DEPLOY)
    private List<QueueConsumerSpec> queueConsumers = new ArrayList<>();

    @JsonPropertyDescription("Cron triggers of the worker itself, as wrangler's [triggers] crons: each firing calls "
            + "the entry's scheduled handler, on_scheduled(event, env) or Default.scheduled(self, controller, env, "
            + "ctx). 5 fields, UTC, or @hourly/@daily/@weekly/@monthly/@yearly; fields as a PyModeWorkflow schedule "
            + "(day-of-week 1-7 from Sunday as Cloudflare numbers them, 1 = SUN; Cloudflare's L, W and #). PyModeWorkflow "
            + "schedules are added to the same trigger set and start their runs.")
    @Size(max = 16)
    @ValidationRule(value = "self.all(c, c.matches(r'''" + Syntax.CRON_MACRO + "''') || c.matches(r'''" + Syntax.CRON
            + "'''))",
            messageExpression = "'cron ' + " + Syntax.SHOW_BEGIN + "self.filter(c, !c.matches(r'''" + Syntax.CRON_MACRO
                    + "''') && !c.matches(r'''" + Syntax.CRON + "'''))[0]" + Syntax.SHOW_END
                    + " + ': a cron must be 5 fields separated by spaces (minute 0-59, hour 0-23, day-of-month 1-31, "
                    + "month 1-12 or JAN-DEC, day-of-week 1-7 from Sunday (1 = SUN) or SUN-SAT, SUN not ending a range; "
                    + "each *, a value, a range "
                    + "a-b, a list a,b or a step */n; or as the whole field day-of-month L, L-n, LW or nW (n up to 27), "
                    + "day-of-week L, dL or d#n; no ?) such as \\'*/15 * * * *\\', or a macro such "
                    + "as @hourly'")
    @ValidationRule(value = Syntax.CRON_LIST_RANGES_FORWARD,
            messageExpression = "'cron ' + " + Syntax.CRON_LIST_FIRST_BACKWARDS + " + ': "
                    + Syntax.CRON_RANGES_FORWARD_MESSAGE + "'")
    @ValidationRule(value = "self.all(c, !c.matches(r'''" + Syntax.CRON_WEEKDAY_ZERO + "'''))",
            message = "cron: " + Syntax.CRON_WEEKDAY_ZERO_MESSAGE)
    @SpecInput(SpecInput.Kind.DEPLOY)
    private List<@Size(min = 1, max = 128) String> crons = new ArrayList<>();

    @JsonPropertyDescription("Where and how the worker is deployed on Cloudflare. Unset fields fall back to the "
            + "operator's defaults (account and API token Secret).")
    @SpecInput(SpecInput.Kind.GROUP)
    private CloudflareTarget cloudflare;

    @JsonPropertyDescription("Stop reconciling: no builds and no deploys until set back to false. "
            + "What is already deployed keeps running.")
    @Default("false")
    @SpecInput(SpecInput.Kind.CONTROL)
    private Boolean suspend = Boolean.FALSE;

    public WorkerSource getSource() { return source; }
    public void setSource(WorkerSource source) { this.source = source; }
    public String getEntry() { return entry; }
    public void setEntry(String entry) { this.entry = entry; }
    public List<String> getPackages() { return packages; }
    public void setPackages(List<String> packages) { this.packages = packages; }
    public List<LocalObjectReference> getExtensions() { return extensions; }
    public void setExtensions(List<LocalObjectReference> extensions) { this.extensions = extensions; }
    public Boolean getAutoAttachRecipes() { return autoAttachRecipes; }
    public void setAutoAttachRecipes(Boolean autoAttachRecipes) { this.autoAttachRecipes = autoAttachRecipes; }
    public Boolean getWizer() { return wizer; }
    public void setWizer(Boolean wizer) { this.wizer = wizer; }
    public WorkerBindings getBindings() { return bindings; }
    public void setBindings(WorkerBindings bindings) { this.bindings = bindings; }
    public WorkerRouting getRouting() { return routing; }
    public void setRouting(WorkerRouting routing) { this.routing = routing; }
    public List<QueueConsumerSpec> getQueueConsumers() { return queueConsumers; }
    public void setQueueConsumers(List<QueueConsumerSpec> queueConsumers) { this.queueConsumers = queueConsumers; }
    public List<String> getCrons() { return crons; }
    public void setCrons(List<String> crons) { this.crons = crons; }
    public CloudflareTarget getCloudflare() { return cloudflare; }
    public void setCloudflare(CloudflareTarget cloudflare) { this.cloudflare = cloudflare; }
    public Boolean getSuspend() { return suspend; }
    public void setSuspend(Boolean suspend) { this.suspend = suspend; }
}
