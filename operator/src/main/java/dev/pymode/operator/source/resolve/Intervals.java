package dev.pymode.operator.source.resolve;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Go-style durations as Flux and kubectl users write them: {@code 30s}, {@code 5m}, {@code 1h30m}, {@code 1.5h}. */
public final class Intervals {

    public static final Duration DEFAULT = Duration.ofMinutes(5);
    /** Re-checking more often than this only loads the server; the CRD allows it, the operator rounds up. */
    public static final Duration MINIMUM = Duration.ofSeconds(1);

    private static final Pattern WHOLE = Pattern.compile("^(([0-9]+(\\.[0-9]+)?)(ms|s|m|h))+$");
    private static final Pattern PART = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)(ms|s|m|h)");

    private Intervals() {
    }

    /** The duration, or {@link #DEFAULT} for null/empty; values the CRD pattern would refuse throw. */
    public static Duration parse(String text) {
        if (text == null || text.isEmpty()) {
            return DEFAULT;
        }
        if (!WHOLE.matcher(text).matches()) {
            throw new IllegalArgumentException("interval '" + text + "' is not a duration like 30s, 5m or 1h");
        }
        double millis = 0;
        Matcher part = PART.matcher(text);
        while (part.find()) {
            double value = Double.parseDouble(part.group(1));
            millis += switch (part.group(2)) {
                case "ms" -> value;
                case "s" -> value * 1_000;
                case "m" -> value * 60_000;
                default -> value * 3_600_000;
            };
        }
        Duration duration = Duration.ofMillis(Math.round(millis));
        return duration.compareTo(MINIMUM) < 0 ? MINIMUM : duration;
    }
}
