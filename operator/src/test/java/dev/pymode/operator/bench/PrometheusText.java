package dev.pymode.operator.bench;

import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Figures read from a Prometheus text exposition ({@code /q/metrics}), so the benchmark reads the operator in its own
 * JVM and a restarted operator process alike: sums of a series (optionally of one label value) and a histogram's
 * cumulative buckets, with the difference between two scrapes.
 */
final class PrometheusText {

    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*})? ([0-9.eE+-]+|NaN)$",
            Pattern.MULTILINE);
    private static final Pattern LE = Pattern.compile("le=\"([^\"]+)\"");

    private final String text;

    PrometheusText(String text) {
        this.text = text == null ? "" : text;
    }

    static PrometheusText empty() {
        return new PrometheusText("");
    }

    /** The sum of every sample of {@code name} whose labels contain {@code labelPart} (e.g. {@code reason="budget"}). */
    double sum(String name, String labelPart) {
        double total = 0;
        Matcher m = SAMPLE.matcher(text);
        while (m.find()) {
            if (m.group(1).equals(name) && (labelPart == null || (m.group(2) != null && m.group(2).contains(labelPart)))
                    && !m.group(3).equals("NaN")) {
                total += Double.parseDouble(m.group(3));
            }
        }
        return total;
    }

    /** A histogram's cumulative counts by upper bound in seconds ({@code name_bucket}), of the samples with {@code labelPart}. */
    TreeMap<Double, Double> buckets(String name, String labelPart) {
        TreeMap<Double, Double> buckets = new TreeMap<>();
        Matcher m = SAMPLE.matcher(text);
        while (m.find()) {
            if (m.group(1).equals(name + "_bucket") && m.group(2) != null && m.group(2).contains(labelPart)) {
                Matcher le = LE.matcher(m.group(2));
                if (le.find()) {
                    double bound = le.group(1).equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le.group(1));
                    buckets.merge(bound, Double.parseDouble(m.group(3)), Double::sum);
                }
            }
        }
        return buckets;
    }

    /** {@code after - before} per bucket. */
    static TreeMap<Double, Double> difference(TreeMap<Double, Double> after, TreeMap<Double, Double> before) {
        TreeMap<Double, Double> d = new TreeMap<>();
        after.forEach((bound, count) -> d.put(bound, count - before.getOrDefault(bound, 0.0)));
        return d;
    }

    /**
     * The upper bound (seconds) of the bucket holding the {@code p} quantile of cumulative {@code buckets}: the
     * quantile is at most this; NaN without observations, +Inf beyond the largest finite bound.
     */
    static double quantileBound(Map<Double, Double> buckets, double p) {
        double total = buckets.getOrDefault(Double.POSITIVE_INFINITY, 0.0);
        if (total <= 0) {
            return Double.NaN;
        }
        for (var e : new TreeMap<>(buckets).entrySet()) {
            if (e.getValue() >= p * total) {
                return e.getKey();
            }
        }
        return Double.POSITIVE_INFINITY;
    }
}
