package dev.pymode.operator.support;

import java.time.Clock;
import java.util.List;

import dev.pymode.operator.events.EventRecorder;
import io.fabric8.kubernetes.api.model.HasMetadata;

/** Events kept in the test's list, each as the test formats it, instead of being written to an API server. */
public final class RecordingEvents extends EventRecorder {

    /** One event as a line of the test's list. */
    @FunctionalInterface
    public interface Format {
        String line(HasMetadata resource, String type, String reason, String message);
    }

    private final List<String> into;
    private final Format format;

    public RecordingEvents(List<String> into, Format format) {
        super(null, Clock.systemUTC());
        this.into = into;
        this.format = format;
    }

    @Override
    public void normal(HasMetadata resource, String reason, String message) {
        into.add(format.line(resource, "Normal", reason, message));
    }

    @Override
    public void warning(HasMetadata resource, String reason, String message) {
        into.add(format.line(resource, "Warning", reason, message));
    }
}
