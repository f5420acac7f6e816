package dev.pymode.operator.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;

import dev.pymode.testkit.ManualClock;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class RecentAnswersTest {

    private final ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final RecentAnswers<String> answers = new RecentAnswers<>(clock, 2);
    private final AtomicInteger calls = new AtomicInteger();

    private String ask(String key, Duration maxAge) throws SourceFailure {
        return answers.get(key, maxAge, () -> key + calls.incrementAndGet());
    }

    @Test
    void answersAreReusedWhileYoungerThanTheMaxAge() throws Exception {
        assertThat(ask("a", Duration.ofSeconds(10))).isEqualTo("a1");
        clock.advance(Duration.ofSeconds(9));
        assertThat(ask("a", Duration.ofSeconds(10))).isEqualTo("a1");
        assertThat(ask("a", Duration.ofSeconds(5))).as("a shorter max age asks again").isEqualTo("a2");
        clock.advance(Duration.ofSeconds(10));
        assertThat(ask("a", Duration.ofSeconds(10))).isEqualTo("a3");
    }

    @Test
    void failuresAreRememberedToo() {
        AtomicInteger attempts = new AtomicInteger();
        RecentAnswers.Call<String> failing = () -> {
            attempts.incrementAndGet();
            throw SourceFailure.unavailable("SourceUnavailable", "down", null);
        };
        assertThatThrownBy(() -> answers.get("k", Duration.ofSeconds(10), failing)).hasMessage("down");
        assertThatThrownBy(() -> answers.get("k", Duration.ofSeconds(10), failing)).hasMessage("down");
        assertThat(attempts).hasValue(1);
        clock.advance(Duration.ofSeconds(11));
        assertThatThrownBy(() -> answers.get("k", Duration.ofSeconds(10), failing)).hasMessage("down");
        assertThat(attempts).hasValue(2);
    }

    @Test
    void theLeastRecentlyUsedKeysAreDropped() throws Exception {
        ask("a", Duration.ofHours(1));
        ask("b", Duration.ofHours(1));
        ask("a", Duration.ofHours(1));
        ask("c", Duration.ofHours(1));
        assertThat(ask("a", Duration.ofHours(1))).isEqualTo("a1");
        assertThat(ask("b", Duration.ofHours(1))).as("dropped").isEqualTo("b4");
    }
}
