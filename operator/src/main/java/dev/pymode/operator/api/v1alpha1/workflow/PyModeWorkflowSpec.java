package dev.pymode.operator.api.v1alpha1.workflow;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.databind.JsonNode;
import dev.pymode.operator.api.v1alpha1.common.LocalObjectReference;
import dev.pymode.operator.api.v1alpha1.common.Syntax;
import io.fabric8.crd.generator.annotation.PreserveUnknownFields;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** Desired state of a PyModeWorkflow. */
public class PyModeWorkflowSpec {

    @JsonPropertyDescription("The PyModeWorker whose code defines the workflow.")
    @Required
    private LocalObjectReference workerRef;

    @JsonPropertyDescription("Name of the workflow in code: `Workflow(\"<name>\")`.")
    @Required
    @Size(min = 1, max = 128)
    @ValidationRule(value = "self.matches('^[A-Za-z0-9][A-Za-z0-9_.-]*$')",
            message = "workflow must be a name of letters, digits, '_', '.' or '-'")
    private String workflow;

    @JsonPropertyDescription("Cron schedule (5 fields, UTC, or @hourly/@daily/@weekly/@monthly/@yearly), deployed as "
            + "a Cloudflare cron trigger. Fields: minute 0-59, hour 0-23, day-of-month 1-31, month 1-12 or JAN-DEC, "
            + "day-of-week 1-7 from Sunday as Cloudflare numbers them (1 = SUN, 2-6 = MON-FRI, 7 = SAT; 0 is refused) "
            + "or SUN-SAT, each `*`, a value, a range, a list or a step (`*/15`); or as the whole day field Cloudflare's "
            + "day-of-month L (last day), L-n, LW (last weekday), nW (weekday nearest the nth, n up to 27) and "
            + "day-of-week L (Saturday), dL (last d of the month: FRIL), d#n (nth d: MON#2); no ?. "
            + "Unset: runs only on request.")
    @Size(max = 128)
    @ValidationRule(value = "self.matches(r'''" + Syntax.CRON_MACRO + "''') || self.matches(r'''" + Syntax.CRON
            + "''')",
            message = "schedule must be 5 cron fields separated by spaces (minute 0-59, hour 0-23, "
                    + "day-of-month 1-31, month 1-12 or JAN-DEC, day-of-week 1-7 from Sunday (1 = SUN) or SUN-SAT, SUN not "
                    + "ending a range; each *, a value, a range "
                    + "a-b, a list a,b or a step */n; or as the whole field day-of-month L, L-n, LW or nW (n up to 27), "
                    + "day-of-week L, dL or d#n; no ?) such as '*/15 * * * *', or a macro such as @hourly")
    @ValidationRule(value = Syntax.CRON_RANGES_FORWARD,
            message = "schedule " + Syntax.CRON_RANGES_FORWARD_MESSAGE)
    @ValidationRule(value = "!self.matches(r'''" + Syntax.CRON_WEEKDAY_ZERO + "''')",
            message = "schedule: " + Syntax.CRON_WEEKDAY_ZERO_MESSAGE)
    private String schedule;

    @JsonPropertyDescription("Input passed to every run as `ctx.input` (any JSON value).")
    @PreserveUnknownFields
    private JsonNode input;

    @JsonPropertyDescription("Retry defaults for steps that do not set their own.")
    private RetryPolicy retry;

    @JsonPropertyDescription("What to do when a run is due while another is still running: Allow, Forbid (skip "
            + "the new run) or Replace (cancel the running one).")
    @Default("Forbid")
    private ConcurrencyPolicy concurrencyPolicy = ConcurrencyPolicy.Forbid;

    @JsonPropertyDescription("Number of finished runs kept in status.")
    @Default("10")
    @io.fabric8.generator.annotation.Min(1)
    @io.fabric8.generator.annotation.Max(50)
    private Integer historyLimit = 10;

    @JsonPropertyDescription("Pause scheduled runs.")
    @Default("false")
    private Boolean suspend = Boolean.FALSE;

    public LocalObjectReference getWorkerRef() { return workerRef; }
    public void setWorkerRef(LocalObjectReference workerRef) { this.workerRef = workerRef; }
    public String getWorkflow() { return workflow; }
    public void setWorkflow(String workflow) { this.workflow = workflow; }
    public String getSchedule() { return schedule; }
    public void setSchedule(String schedule) { this.schedule = schedule; }
    public JsonNode getInput() { return input; }
    public void setInput(JsonNode input) { this.input = input; }
    public RetryPolicy getRetry() { return retry; }
    public void setRetry(RetryPolicy retry) { this.retry = retry; }
    public ConcurrencyPolicy getConcurrencyPolicy() { return concurrencyPolicy; }
    public void setConcurrencyPolicy(ConcurrencyPolicy concurrencyPolicy) { this.concurrencyPolicy = concurrencyPolicy; }
    public Integer getHistoryLimit() { return historyLimit; }
    public void setHistoryLimit(Integer historyLimit) { this.historyLimit = historyLimit; }
    public Boolean getSuspend() { return suspend; }
    public void setSuspend(Boolean suspend) { this.suspend = suspend; }
}
