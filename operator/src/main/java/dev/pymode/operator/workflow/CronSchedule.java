package dev.pymode.operator.workflow;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.cronutils.model.definition.CronDefinition;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import dev.pymode.operator.api.v1alpha1.common.Syntax;

/**
 * A cron trigger as Cloudflare reads it (5 fields, UTC; its parser is cloudflare/saffron), or a macro spelled out
 * into those 5 fields. Day-of-week numbers are Cloudflare's, 1-7 from Sunday (1 = SUN, 7 = SAT), not UNIX cron's.
 *
 * <p>{@link #validate} is the one rule for which schedules may become a cron trigger of a worker's script: the
 * dialect Cloudflare's {@code PUT …/schedules} accepts (and the stand-in checks, cfstandin/src/runtime/cron.mjs),
 * with its day extensions ({@code L}, {@code L-n}, {@code LW}, {@code nW}; {@code L}, {@code dL}, {@code d#n}),
 * minus the few nothing here evaluates: ranges that wrap around (FRI-MON), {@code L-nW}, and {@code nW} past the
 * 27th (cron-utils fails on months without that day, which Cloudflare skips, and fires 28W on a Sunday 28 February
 * where Cloudflare fires on the Friday before). A schedule that fails it is the workflow's failure alone: it never
 * reaches the worker's trigger set, where Cloudflare would refuse the whole set and with it the worker's deploy.
 */
public final class CronSchedule {

    /**
     * cron-utils reading Cloudflare's fields: UNIX cron's five, but days of the week 1-7 with Sunday 1 (Monday 2),
     * as Quartz numbers them, with the day extensions Cloudflare takes. As in UNIX cron (and at Cloudflare), a day
     * matching either restricted day field fires.
     */
    private static final CronDefinition CLOUDFLARE = CronDefinitionBuilder.defineCron()
            .withMinutes().withStrictRange().and()
            .withHours().withStrictRange().and()
            .withDayOfMonth().supportsL().supportsW().supportsLW().withStrictRange().and()
            .withMonth().withStrictRange().and()
            .withDayOfWeek().withValidRange(1, 7).withMondayDoWValue(2).supportsL().supportsHash().withStrictRange()
            .and()
            .instance();
    private static final CronParser PARSER = new CronParser(CLOUDFLARE);
    /** Cloudflare takes no macros: each is spelled out with Cloudflare's numbers (@weekly: Sunday is 1). */
    private static final Map<String, String> MACROS = Map.of("@yearly", "0 0 1 1 *", "@annually", "0 0 1 1 *",
            "@monthly", "0 0 1 * *", "@weekly", "0 0 * * 1", "@daily", "0 0 * * *", "@hourly", "0 * * * *");

    /** maxStep: Cloudflare refuses a step longer than the field's span ({@code *}{@code /60} minutes). */
    private record Field(String name, int min, int max, int maxStep, List<String> names, int base) {
    }

    private static final Field DAY_OF_MONTH = new Field("day-of-month", 1, 31, 30, List.of(), 0);
    private static final Field DAY_OF_WEEK = new Field("day-of-week", 1, 7, 6,
            List.of("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), 1);
    private static final List<Field> FIELDS = List.of(
            new Field("minute", 0, 59, 59, List.of(), 0),
            new Field("hour", 0, 23, 23, List.of(), 0),
            DAY_OF_MONTH,
            new Field("month", 1, 12, 11, List.of("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP",
                    "OCT", "NOV", "DEC"), 1),
            DAY_OF_WEEK);
    private static final Pattern NAME = Pattern.compile("[A-Za-z]{3}");
    // Cloudflare's day extensions, each the whole field; L and W in upper case only, as saffron reads them
    private static final Pattern LAST_DAY_OFFSET = Pattern.compile("L-([0-9]{1,4})");
    private static final Pattern LAST_DAY_OFFSET_WEEKDAY = Pattern.compile("L-[0-9]{1,4}W");
    private static final Pattern NEAREST_WEEKDAY = Pattern.compile("([0-9]{1,4})W");
    private static final Pattern LAST_OF_WEEKDAY = Pattern.compile("([A-Za-z]{3}|[0-9]{1,4})L");
    private static final Pattern NTH_WEEKDAY = Pattern.compile("([A-Za-z]{3}|[0-9]{1,4})#([0-9]{1,4})");
    private static final String DAY_EXTENSIONS = "Cloudflare takes L, L-n, LW and nW as the whole day-of-month, "
            + "L, dL and d#n as the whole day-of-week";
    private static final Pattern STAR_STEP = Pattern.compile("\\*/");

    private final ExecutionTime execution;

    private CronSchedule(ExecutionTime execution) {
        this.execution = execution;
    }

    /** @throws IllegalArgumentException naming the field at fault, for an expression Cloudflare would refuse */
    public static CronSchedule parse(String expression) {
        validate(expression);
        return new CronSchedule(ExecutionTime.forCron(PARSER.parse(numeric(cloudflareExpression(expression)))));
    }

    /**
     * Why Cloudflare would refuse the expression as a cron trigger, or empty when it is valid.
     */
    public static Optional<String> problem(String expression) {
        try {
            validate(expression);
            return Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.of(e.getMessage());
        }
    }

    /** @throws IllegalArgumentException with a message naming the field and its allowed range */
    public static void validate(String expression) {
        if (expression == null || expression.isBlank()) {
            throw new IllegalArgumentException("the schedule is empty");
        }
        String[] parts = cloudflareExpression(expression).split(" ");
        if (parts.length != FIELDS.size()) {
            throw new IllegalArgumentException("a cron expression has 5 fields (minute hour day-of-month month "
                    + "day-of-week), this one has " + parts.length);
        }
        for (int i = 0; i < parts.length; i++) {
            if (!dayExtension(parts[i], FIELDS.get(i))) {
                validateField(parts[i], FIELDS.get(i));
            }
        }
    }

    /**
     * Whether the field is one of Cloudflare's day extensions (then valid, else the problem is thrown): day-of-month
     * {@code L} (the last day), {@code L-n} (n days before it, 1-30), {@code LW} (the last weekday), {@code nW} (the
     * weekday nearest the nth, within its month); day-of-week {@code L} (Saturday), {@code dL} (the month's last d),
     * {@code d#n} (its nth d, 1-5). False for a field of values, ranges and steps.
     */
    private static boolean dayExtension(String text, Field field) {
        if (field == DAY_OF_MONTH) {
            Matcher offset = LAST_DAY_OFFSET.matcher(text);
            Matcher nearest = NEAREST_WEEKDAY.matcher(text);
            if (offset.matches()) {
                within(Integer.parseInt(offset.group(1)), 1, 30, "day-of-month L-n offset");
            } else if (nearest.matches()) {
                if (value(nearest.group(1), field) > 27) {
                    throw new IllegalArgumentException("day-of-month '" + text + "': PyMode evaluates nW for days "
                            + "1-27 only (Cloudflare also takes 28W-31W; on a month's last day cron-utils and "
                            + "Cloudflare differ)");
                }
            } else if (LAST_DAY_OFFSET_WEEKDAY.matcher(text).matches()) {
                throw new IllegalArgumentException("day-of-month '" + text + "' (L-nW): Cloudflare takes it, PyMode "
                        + "does not evaluate it");
            } else {
                return text.equals("L") || text.equals("LW");
            }
            return true;
        }
        if (field == DAY_OF_WEEK) {
            Matcher last = LAST_OF_WEEKDAY.matcher(text);
            Matcher nth = NTH_WEEKDAY.matcher(text);
            if (last.matches()) {
                value(last.group(1), field);
            } else if (nth.matches()) {
                value(nth.group(1), field);
                within(Integer.parseInt(nth.group(2)), 1, 5, "day-of-week #n");
            } else {
                return text.equals("L");
            }
            return true;
        }
        return false;
    }

    private static void within(int n, int min, int max, String what) {
        if (n < min || n > max) {
            throw new IllegalArgumentException(what + " " + n + " is outside " + min + "-" + max);
        }
    }

    private static void validateField(String text, Field field) {
        for (String part : text.split(",", -1)) {
            String[] stepped = part.split("/", -1);
            if (stepped.length > 2 || stepped[0].isEmpty()) {
                throw new IllegalArgumentException(field.name() + " '" + part + "' is malformed");
            }
            if (stepped.length == 2 && !(stepped[1].matches("[0-9]{1,4}") && Integer.parseInt(stepped[1]) >= 1)) {
                throw new IllegalArgumentException(field.name() + " step '" + stepped[1]
                        + "' must be a positive integer");
            }
            if (stepped.length == 2 && Integer.parseInt(stepped[1]) > field.maxStep()) {
                throw new IllegalArgumentException(field.name() + " step " + Integer.parseInt(stepped[1])
                        + " is above " + field.maxStep());
            }
            String range = stepped[0];
            if (range.equals("*")) {
                continue;
            }
            String[] bounds = range.split("-", -1);
            if (bounds.length > 2) {
                throw new IllegalArgumentException(field.name() + " '" + part + "' is malformed");
            }
            int low = value(bounds[0], field);
            if (bounds.length == 2 && low > value(bounds[1], field)) {
                throw new IllegalArgumentException(field.name() + " range '" + range + "' runs backwards"
                        + " (Cloudflare wraps such a range around; PyMode does not evaluate it)");
            }
        }
    }

    private static int value(String text, Field field) {
        int named = field.names().indexOf(text.toUpperCase());
        if (named >= 0) {
            return named + field.base();
        }
        if (!text.matches("[0-9]{1,4}")) {
            throw new IllegalArgumentException(field.name() + " '" + text + "' " + notANumber(text, field));
        }
        int n = Integer.parseInt(text);
        if (field == DAY_OF_WEEK && n == 0) {
            throw new IllegalArgumentException(Syntax.CRON_WEEKDAY_ZERO_MESSAGE);
        }
        if (n < field.min() || n > field.max()) {
            throw new IllegalArgumentException(field.name() + " " + n + " is outside " + field.min() + "-"
                    + field.max() + (field == DAY_OF_WEEK ? " at Cloudflare: " + Syntax.CRON_WEEKDAYS : ""));
        }
        return n;
    }

    private static String notANumber(String text, Field field) {
        if (text.contains("?")) {
            return "uses ?, which Cloudflare does not take (a bare * leaves a day field unrestricted)";
        }
        if (text.matches(".*[LW#].*")) {
            return "uses L, W or # where Cloudflare does not take them: " + DAY_EXTENSIONS + ", never in a list, "
                    + "range or step";
        }
        if (text.matches(".*[lw].*")) {
            return "is not a number" + (field.names().isEmpty() ? "" : " or name")
                    + " (Cloudflare's L and W are upper case)";
        }
        return "is not a number" + (field.names().isEmpty() ? "" : " or name");
    }

    /**
     * A valid 5-field expression as cron-utils must get it to fire when Cloudflare and the stand-in do
     * (testdata/cron/corpus.json): month and day names as numbers, and {@code *}{@code /n} as the field's full range
     * stepped by n (cron-utils, like vixie cron, takes a day field starting with {@code *} as unrestricted, so
     * {@code 0 0 *}{@code /1 * MON} would fire on Mondays only; for Cloudflare only a bare {@code *} is, and a day
     * matching either day field fires).
     */
    private static String numeric(String fields) {
        String[] parts = fields.split(" ");
        for (int i = 0; i < parts.length; i++) {
            Field field = FIELDS.get(i);
            String numbers = field.names().isEmpty() ? parts[i]
                    : NAME.matcher(parts[i]).replaceAll(m -> String.valueOf(value(m.group(), field)));
            parts[i] = STAR_STEP.matcher(numbers).replaceAll(field.min() + "-" + field.max() + "/");
        }
        return String.join(" ", parts);
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

    /** The latest firing at or before {@code atOrBefore}; empty when the schedule never fired before it. */
    public Optional<Instant> latestAtOrBefore(Instant atOrBefore) {
        // cron-utils' lastExecution is strictly before its argument; firings fall on whole minutes, so the next
        // whole second after the instant's own second keeps a firing at the instant itself and adds none
        Instant justAfter = atOrBefore.truncatedTo(ChronoUnit.SECONDS).plusSeconds(1);
        return execution.lastExecution(ZonedDateTime.ofInstant(justAfter, ZoneOffset.UTC))
                .map(ZonedDateTime::toInstant);
    }
}
