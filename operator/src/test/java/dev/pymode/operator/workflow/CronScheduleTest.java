package dev.pymode.operator.workflow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class CronScheduleTest {

    @Test
    void everyFifteenMinutesInUtc() {
        assertThat(CronSchedule.parse("*/15 * * * *").nextAfter(Instant.parse("2026-11-25T10:07:30Z")))
                .contains(Instant.parse("2026-11-25T10:15:00Z"));
    }

    @Test
    void nextIsStrictlyAfter() {
        assertThat(CronSchedule.parse("0 * * * *").nextAfter(Instant.parse("2026-11-25T10:00:00Z")))
                .contains(Instant.parse("2026-11-25T11:00:00Z"));
    }

    @Test
    void macros() {
        assertThat(CronSchedule.parse("@daily").nextAfter(Instant.parse("2026-11-25T10:00:00Z")))
                .contains(Instant.parse("2026-11-26T00:00:00Z"));
    }

    @Test
    void cloudflareExpressionsSpellMacrosOutAndNormaliseSpaces() {
        assertThat(CronSchedule.cloudflareExpression("@hourly")).isEqualTo("0 * * * *");
        assertThat(CronSchedule.cloudflareExpression("@weekly")).isEqualTo("0 0 * * 0");
        assertThat(CronSchedule.cloudflareExpression(" */5  *\t* * MON-FRI ")).isEqualTo("*/5 * * * MON-FRI");
    }

    @Test
    void invalidExpressionsAreRefused() {
        assertThatThrownBy(() -> CronSchedule.parse("61 * * * *")).isInstanceOf(IllegalArgumentException.class);
    }

    /** The dialect cfstandin/src/runtime/cron.mjs checks for PUT …/schedules (Cloudflare's, without L/W/#). */
    @Test
    void theProblemNamesTheFieldAndItsRange() {
        assertThat(CronSchedule.problem("61 * * * *")).contains("minute 61 is outside 0-59");
        assertThat(CronSchedule.problem("0 24 * * *")).contains("hour 24 is outside 0-23");
        assertThat(CronSchedule.problem("0 0 0 * *")).contains("day-of-month 0 is outside 1-31");
        assertThat(CronSchedule.problem("0 0 * 13 *")).contains("month 13 is outside 1-12");
        assertThat(CronSchedule.problem("0 0 * * 8")).contains("day-of-week 8 is outside 0-7");
        assertThat(CronSchedule.problem("*/0 * * * *")).contains("minute step '0' must be a positive integer");
        assertThat(CronSchedule.problem("30-10 * * * *")).contains("minute range '30-10' runs backwards");
        assertThat(CronSchedule.problem("5-3 * * * *")).contains("minute range '5-3' runs backwards");
        // admitted by the CRD (its range rule compares numbers only), refused by Cloudflare: caught here
        assertThat(CronSchedule.problem("0 0 1 DEC-JAN *")).contains("month range 'DEC-JAN' runs backwards");
        assertThat(CronSchedule.problem("0 0 * * FRI-MON")).contains("day-of-week range 'FRI-MON' runs backwards");
        assertThat(CronSchedule.problem("0 0 L * *")).get().asString().contains("L, W, # and ? are not supported");
        assertThat(CronSchedule.problem("* * * *")).get().asString().contains("has 4");
        assertThat(CronSchedule.problem("@fortnightly")).isPresent();
        assertThat(CronSchedule.problem("1,,2 * * * *")).isPresent();
    }

    @Test
    void whatCloudflareTakesIsValid() {
        for (String ok : List.of("* * * * *", "*/15 * * * *", "0 9-17/2 * * MON-FRI", "5,35 0 1 JAN,jul *",
                "0 0 * * 7", "15/10 * * * *", "@hourly", "@annually", "59 23 31 12 SAT")) {
            assertThat(CronSchedule.problem(ok)).as(ok).isEmpty();
            assertThat(CronSchedule.parse(ok).nextAfter(Instant.parse("2026-11-25T10:00:00Z"))).as(ok).isPresent();
        }
    }
}
