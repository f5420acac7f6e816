package dev.pymode.operator.cloudflare;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.pymode.cloudflare.CloudflareClient;

/** One {@link AccountInventory} per client (API URL and token) and account, shared by all workers using them. */
public class AccountInventories {

    private record Key(CloudflareClient client, String account) {
    }

    private final Duration interval;
    private final Clock clock;
    private final Map<Key, AccountInventory> inventories = new ConcurrentHashMap<>();

    /** @param interval how long a listing answers before it is read again */
    public AccountInventories(Duration interval, Clock clock) {
        this.interval = interval;
        this.clock = clock;
    }

    public AccountInventory of(CloudflareClient client, String account) {
        return inventories.computeIfAbsent(new Key(client, account),
                k -> new AccountInventory(client, account, interval, clock));
    }
}
