package dev.pymode.operator.workflow;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * What one cron trigger of a worker starts: an entry of the worker's {@code PYMODE_SCHEDULES} var
 * (worker/src/runtime/schedules.ts reads it when Cloudflare fires the cron). Either a PyModeWorkflow's run
 * (workflow and resource set) or, for a cron of the worker's own {@code spec.crons}, a call of the entry's Python
 * scheduled handler ({@code handler} = {@value #SCHEDULED_HANDLER}, nothing else but the cron).
 *
 * @param cron        the expression in Cloudflare's form ({@link CronSchedule#cloudflareExpression})
 * @param workflow    the workflow's name in code
 * @param resource    the PyModeWorkflow's name: run ids are {@code <resource>-<epoch seconds>}
 * @param input       {@code ctx.input} of every run (null when unset)
 * @param concurrency Allow, Forbid or Replace
 * @param retry       step retry defaults, or null to keep the code's
 * @param handler     {@value #SCHEDULED_HANDLER} for the worker's own cron, else null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ScheduleEntry(String cron, String workflow, String resource, JsonNode input, String concurrency,
                            RunRetry retry, String handler) {

    public static final String SCHEDULED_HANDLER = "scheduled";

    /** A workflow run started by the cron. */
    public ScheduleEntry(String cron, String workflow, String resource, JsonNode input, String concurrency,
                         RunRetry retry) {
        this(cron, workflow, resource, input, concurrency, retry, null);
    }

    /** A firing of the worker's own cron, for the entry's scheduled handler. */
    public static ScheduleEntry handler(String cron) {
        return new ScheduleEntry(cron, null, null, null, null, null, SCHEDULED_HANDLER);
    }

    /** Retry defaults as {@code POST /workflow/run} takes them. */
    public record RunRetry(Integer retries, Double backoff, Double factor) {
    }
}
