package dev.pymode.operator.workflow;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Map;
import java.util.Optional;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;

/** A workflow's cron schedule (5-field UNIX syntax or a macro), evaluated in UTC like Cloudflare cron triggers. */
public final class CronSchedule {

    private static final CronParser PARSER = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
    private static final Map<String, String> MACROS = Map.of("@yearly", "0 0 1 1 *", "@annually", "0 0 1 1 *",
            "@monthly", "0 0 1 * *", "@weekly", "0 0 * * 0", "@daily", "0 0 * * *", "@hourly", "0 * * * *");

    private final ExecutionTime execution;

    private CronSchedule(ExecutionTime execution) {
        this.execution = execution;
    }

    /** @throws IllegalArgumentException with the parser's explanation for an invalid expression */
    public static CronSchedule parse(String expression) {
        return new CronSchedule(ExecutionTime.forCron(PARSER.parse(cloudflareExpression(expression))));
    }

    /**
     * The expression as a Cloudflare cron trigger takes it: macros spelled out as 5 fields, single spaces.
     * The Worker matches a firing to its workflows by this exact string.
     */
    public static String cloudflareExpression(String expression) {
        String trimmed = expression.trim();
        return MACROS.getOrDefault(trimmed, String.join(" ", trimmed.split("\\s+")));
    }

    /** The first firing strictly after {@code after}. */
    public Optional<Instant> nextAfter(Instant after) {
        return execution.nextExecution(ZonedDateTime.ofInstant(after, ZoneOffset.UTC)).map(ZonedDateTime::toInstant);
    }
}
