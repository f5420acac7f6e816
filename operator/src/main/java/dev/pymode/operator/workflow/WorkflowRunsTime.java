package dev.pymode.operator.workflow;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

/** RFC 3339 timestamps at second precision, as status fields carry them. */
final class WorkflowRunsTime {

    private WorkflowRunsTime() {
    }

    static String format(Instant instant) {
        return instant.truncatedTo(ChronoUnit.SECONDS).toString();
    }
}
