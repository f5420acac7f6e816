package dev.pymode.operator.deploy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.pymode.cloudflare.ApiObserver;
import dev.pymode.cloudflare.CloudflareClient;
import dev.pymode.cloudflare.RateLimiter;

/**
 * One client per API URL and token, all sharing one per-account rate limiter, so a 429 for an account
 * pauses every worker of that account (Cloudflare blocks the whole token for five minutes).
 */
public class CloudflareClients implements AutoCloseable {

    private final RateLimiter rateLimiter;
    private final Clock clock;
    private final ApiObserver observer;
    private final Map<String, CloudflareClient> clients = new ConcurrentHashMap<>();

    /** @param observer told about every call of every client (the operator's metrics) */
    public CloudflareClients(Clock clock, RateLimiter rateLimiter, ApiObserver observer) {
        this.observer = observer;
        this.clock = clock;
        this.rateLimiter = rateLimiter;
    }

    public CloudflareClient forTarget(CloudflareTarget target) {
        // keyed by a hash, so tokens are not kept as map keys that a heap dump or debugger shows plainly
        String key = target.apiUrl() + "#" + sha256(target.apiToken());
        return clients.computeIfAbsent(key, k -> CloudflareClient.builder(target.apiToken())
                .baseUrl(target.apiUrl()).clock(clock).rateLimiter(rateLimiter).observer(observer).build());
    }

    private static String sha256(String value) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(value.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        clients.values().forEach(CloudflareClient::close);
    }
}
