package dev.pymode.operator.events;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class EventRecorderTest {

    @Test
    void aLongMessageKeepsItsFirstLineAndTheLogsEnd() {
        String message = "ERROR: No matching distribution found for x==1\n" + "log line\n".repeat(500) + "the end";
        String fitted = EventRecorder.fit(message);
        assertThat(fitted).hasSizeLessThanOrEqualTo(1024)
                .startsWith("ERROR: No matching distribution found for x==1\n…").endsWith("log line\nthe end");
        assertThat(EventRecorder.fit("short")).isEqualTo("short");
    }
}
