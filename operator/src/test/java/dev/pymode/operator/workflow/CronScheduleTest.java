package dev.pymode.operator.workflow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;

import org.junit.jupiter.api.Test;

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
}
