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
    void theLatestFiringIncludesTheInstantItself() {
        CronSchedule daily = CronSchedule.parse("0 3 * * *");
        assertThat(daily.latestAtOrBefore(Instant.parse("2026-12-07T03:00:00Z")))
                .contains(Instant.parse("2026-12-07T03:00:00Z"));
        assertThat(daily.latestAtOrBefore(Instant.parse("2026-12-07T03:00:00.900Z")))
                .contains(Instant.parse("2026-12-07T03:00:00Z"));
        assertThat(daily.latestAtOrBefore(Instant.parse("2026-12-07T02:59:59.999Z")))
                .contains(Instant.parse("2026-12-06T03:00:00Z"));
        assertThat(daily.latestAtOrBefore(Instant.parse("2026-12-07T10:00:00Z")))
                .contains(Instant.parse("2026-12-07T03:00:00Z"));
        assertThat(CronSchedule.parse("*/15 * * * *").latestAtOrBefore(Instant.parse("2026-11-25T10:07:30Z")))
                .contains(Instant.parse("2026-11-25T10:00:00Z"));
        // Cloudflare's day-of-week numbers (2 = MON) and its day extensions, read backwards too
        assertThat(CronSchedule.parse("0 9 * * 2").latestAtOrBefore(Instant.parse("2026-12-07T08:59:00Z")))
                .as("Monday 7 December before 09:00: the Monday before")
                .contains(Instant.parse("2026-11-30T09:00:00Z"));
        assertThat(CronSchedule.parse("0 0 L * *").latestAtOrBefore(Instant.parse("2026-12-07T00:00:00Z")))
                .contains(Instant.parse("2026-11-30T00:00:00Z"));
    }

    @Test
    void macros() {
        assertThat(CronSchedule.parse("@daily").nextAfter(Instant.parse("2026-11-25T10:00:00Z")))
                .contains(Instant.parse("2026-11-26T00:00:00Z"));
    }

    @Test
    void cloudflareExpressionsSpellMacrosOutAndNormaliseSpaces() {
        assertThat(CronSchedule.cloudflareExpression("@hourly")).isEqualTo("0 * * * *");
        assertThat(CronSchedule.cloudflareExpression("@weekly")).isEqualTo("0 0 * * 1");
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
        assertThat(CronSchedule.problem("0 0 * * 8")).get().asString()
                .startsWith("day-of-week 8 is outside 1-7 at Cloudflare: days are 1-7 from Sunday (1 = SUN");
        assertThat(CronSchedule.problem("*/0 * * * *")).contains("minute step '0' must be a positive integer");
        assertThat(CronSchedule.problem("30-10 * * * *")).get().asString()
                .startsWith("minute range '30-10' runs backwards");
        assertThat(CronSchedule.problem("5-3 * * * *")).get().asString()
                .startsWith("minute range '5-3' runs backwards");
        // admitted by the CRD (its range rule compares numbers only), refused by Cloudflare: caught here
        assertThat(CronSchedule.problem("0 0 1 DEC-JAN *")).get().asString()
                .startsWith("month range 'DEC-JAN' runs backwards");
        assertThat(CronSchedule.problem("0 0 * * FRI-MON")).get().asString()
                .startsWith("day-of-week range 'FRI-MON' runs backwards").contains("Cloudflare wraps such a range around");
        assertThat(CronSchedule.problem("0 0 L,15 * *")).get().asString()
                .contains("uses L, W or # where Cloudflare does not take them");
        assertThat(CronSchedule.problem("0 0 * * MON#6")).contains("day-of-week #n 6 is outside 1-5");
        assertThat(CronSchedule.problem("0 0 L-3W * *")).get().asString().contains("PyMode does not evaluate it");
        assertThat(CronSchedule.problem("0 0 31W * *")).get().asString().contains("nW for days 1-27 only");
        assertThat(CronSchedule.problem("0 0 ? * MON")).get().asString().contains("uses ?, which Cloudflare does not take");
        assertThat(CronSchedule.problem("* * * *")).get().asString().contains("has 4");
        assertThat(CronSchedule.problem("@fortnightly")).isPresent();
        assertThat(CronSchedule.problem("1,,2 * * * *")).isPresent();
    }

    @Test
    void dayOfWeekZeroIsRefusedNamingCloudflaresNumbering() {
        for (String zero : List.of("0 0 * * 0", "0 0 * * 0-5", "0 0 * * 3,0", "0 0 * * 0/2")) {
            assertThat(CronSchedule.problem(zero)).as(zero).contains(
                    "day-of-week 0 is not valid at Cloudflare: days are 1-7 from Sunday (1 = SUN, 7 = SAT), or SUN-SAT");
        }
        assertThat(CronSchedule.problem("0 0 0 * *")).contains("day-of-month 0 is outside 1-31");
    }

    /** Cloudflare's documented examples: 1 is Sunday, 2-6 are Monday to Friday, 7 is Saturday. */
    @Test
    void dayOfWeekNumbersAreCloudflaresFromSunday() {
        Instant wednesday = Instant.parse("2026-12-02T12:00:00Z");
        assertThat(CronSchedule.parse("0 17 * * 1").nextAfter(wednesday))
                .contains(Instant.parse("2026-12-06T17:00:00Z"));
        assertThat(CronSchedule.parse("0 17 * * sun").nextAfter(wednesday))
                .contains(Instant.parse("2026-12-06T17:00:00Z"));
        assertThat(CronSchedule.parse("10 7 * * 2-6").nextAfter(Instant.parse("2026-12-04T08:00:00Z")))
                .contains(Instant.parse("2026-12-07T07:10:00Z"));
        assertThat(CronSchedule.parse("0 0 * * 7").nextAfter(wednesday))
                .contains(Instant.parse("2026-12-05T00:00:00Z"));
        assertThat(CronSchedule.parse("@weekly").nextAfter(wednesday))
                .contains(Instant.parse("2026-12-06T00:00:00Z"));
    }

    @Test
    void whatCloudflareTakesIsValid() {
        for (String ok : List.of("* * * * *", "*/15 * * * *", "0 9-17/2 * * MON-FRI", "5,35 0 1 JAN,jul *",
                "0 0 * * 7", "15/10 * * * *", "@hourly", "@annually", "59 23 31 12 SAT", "0 0 L * *", "0 0 LW * *",
                "0 0 15W * *", "0 0 * * friL", "0 10 * * MON#2")) {
            assertThat(CronSchedule.problem(ok)).as(ok).isEmpty();
            assertThat(CronSchedule.parse(ok).nextAfter(Instant.parse("2026-11-25T10:00:00Z"))).as(ok).isPresent();
        }
    }
}
