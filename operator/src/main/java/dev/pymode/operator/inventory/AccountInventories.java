package dev.pymode.operator.inventory;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import dev.pymode.cloudflare.CloudflareClient;
import org.jboss.logging.Logger;

/**
 * One {@link AccountInventory} per client (API URL and token) and account, shared by all workers using them. Once
 * {@link #startRefreshing() started}, the script listing of every account in use is read again each interval, so
 * a script changed or deleted outside the operator wakes its worker within about one interval (listeners of
 * {@link #onScriptsChanged}) instead of at its next periodic resync. Only accounts some reconcile used have an
 * inventory, so a replica that is not the leader reads nothing.
 */
public class AccountInventories implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(AccountInventories.class);

    private record Key(CloudflareClient client, String account) {
    }

    private final Duration interval;
    private final Clock clock;
    private final Map<Key, AccountInventory> inventories = new ConcurrentHashMap<>();
    private final List<AccountInventory.ScriptChanges> listeners = new CopyOnWriteArrayList<>();
    private ScheduledExecutorService refresher;

    /** @param interval how long a listing answers before it is read again */
    public AccountInventories(Duration interval, Clock clock) {
        this.interval = interval;
        this.clock = clock;
    }

    public AccountInventory of(CloudflareClient client, String account) {
        return inventories.computeIfAbsent(new Key(client, account),
                k -> new AccountInventory(client, account, interval, clock, this::scriptsChanged));
    }

    /** Registers who hears about scripts a listing shows changed or gone (the worker controller wakes their workers). */
    public void onScriptsChanged(AccountInventory.ScriptChanges listener) {
        listeners.add(listener);
    }

    /** Reads the script listings of the accounts in use once per interval, on one daemon thread. */
    public synchronized void startRefreshing() {
        if (refresher != null) {
            return;
        }
        refresher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pymode-account-listings");
            t.setDaemon(true);
            return t;
        });
        long millis = Math.max(1000, interval.toMillis());
        refresher.scheduleWithFixedDelay(this::refreshAll, millis, millis, TimeUnit.MILLISECONDS);
    }

    void refreshAll() {
        for (AccountInventory inventory : inventories.values()) {
            try {
                inventory.refreshScriptsIfDue();
            } catch (RuntimeException e) {
                // a 429 block, a 5xx or an I/O error: the next round (or the next reconcile) reads again
                LOG.debugf("account listing not refreshed: %s", e.getMessage());
            }
        }
    }

    private void scriptsChanged(String account, Set<String> scripts) {
        listeners.forEach(l -> l.changed(account, scripts));
    }

    @Override
    public synchronized void close() {
        if (refresher != null) {
            refresher.shutdownNow();
            refresher = null;
        }
    }
}
