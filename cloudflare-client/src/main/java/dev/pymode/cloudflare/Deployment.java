package dev.pymode.cloudflare;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/** Which versions serve a script, and with what share of the traffic. */
public record Deployment(String id, String createdOn, String strategy, List<Share> versions) {

    /** @param percentage 0.01 to 100 */
    public record Share(String versionId, double percentage) {
    }

    public Deployment {
        versions = List.copyOf(versions);
    }

    /** The version carrying the most traffic: the stable one during a gradual rollout. */
    public Optional<Share> largestShare() {
        return versions.stream().max(Comparator.comparingDouble(Share::percentage));
    }
}
