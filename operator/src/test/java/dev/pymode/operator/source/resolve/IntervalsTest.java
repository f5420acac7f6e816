package dev.pymode.operator.source.resolve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class IntervalsTest {

    @Test
    void goDurations() {
        assertThat(Intervals.parse("5m")).isEqualTo(Duration.ofMinutes(5));
        assertThat(Intervals.parse("30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(Intervals.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(Intervals.parse("1.5h")).isEqualTo(Duration.ofMinutes(90));
        assertThat(Intervals.parse("2500ms")).isEqualTo(Duration.ofMillis(2500));
        assertThat(Intervals.parse(null)).isEqualTo(Intervals.DEFAULT);
    }

    @Test
    void tooShortIsRoundedUpAndGarbageRefused() {
        assertThat(Intervals.parse("10ms")).isEqualTo(Intervals.MINIMUM);
        assertThatThrownBy(() -> Intervals.parse("5 minutes")).hasMessageContaining("'5 minutes'");
        assertThatThrownBy(() -> Intervals.parse("PT5M")).isInstanceOf(IllegalArgumentException.class);
    }
}
