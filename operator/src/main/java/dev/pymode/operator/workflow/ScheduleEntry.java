package dev.pymode.operator.workflow;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * What one cron trigger of a worker starts: an entry of the worker's {@code PYMODE_SCHEDULES} var
 * (worker/src/runtime/schedules.ts reads it when Cloudflare fires the cron).
 *
 * @param cron        the expression in Cloudflare's form ({@link CronSchedule#cloudflareExpression})
 * @param workflow    the workflow's name in code
 * @param resource    the PyModeWorkflow's name: run ids are {@code <resource>-<epoch seconds>}
 * @param input       {@code ctx.input} of every run (null when unset)
 * @param concurrency Allow, Forbid or Replace
 * @param retry       step retry defaults, or null to keep the code's
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ScheduleEntry(String cron, String workflow, String resource, JsonNode input, String concurrency,
                            RunRetry retry) {

    /** Retry defaults as {@code POST /workflow/run} takes them. */
    public record RunRetry(Integer retries, Double backoff, Double factor) {
    }
}
