package dev.pymode.cloudflare;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.pymode.testkit.ManualClock;

/** A clock tests move by hand; its {@link #sleeper()} records waits and advances the clock instead of sleeping. */
final class TestClock extends ManualClock {

    final List<Duration> sleeps = new CopyOnWriteArrayList<>();

    TestClock(Instant start) {
        super(start);
    }

    Sleeper sleeper() {
        return d -> {
            sleeps.add(d);
            advance(d);
        };
    }
}
