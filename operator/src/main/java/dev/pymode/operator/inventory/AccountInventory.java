package dev.pymode.operator.inventory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import dev.pymode.cloudflare.CloudflareClient;
import dev.pymode.cloudflare.Queue;
import dev.pymode.cloudflare.WorkerScript;

/**
 * What one Cloudflare account holds (scripts, KV namespaces, R2 buckets, D1 databases, queues with their
 * consumers), read with the
 * account-wide list calls and shared by every worker of the account, so a resync of an unchanged worker costs
 * no call of its own (issue #18). Each listing is re-read when it is older than the interval, or when a caller
 * needs one taken after a moment it knows of (its own write); one read at a time per listing, and every caller
 * waiting on it gets its answer. A new script listing that shows scripts changed or gone since the previous one
 * tells the listener, so their workers are looked at without waiting for their periodic resync.
 */
public final class AccountInventory {

    /** Told which scripts a new listing shows changed (another modified_on) or gone since the one before. */
    @FunctionalInterface
    public interface ScriptChanges {
        void changed(String account, Set<String> scripts);
    }

    private final CloudflareClient client;
    private final String account;
    private final Duration interval;
    private final Clock clock;
    private final Listing<WorkerScript> scripts;
    private final Listing<String> kvNamespaces;
    private final Listing<String> r2Buckets;
    private final Listing<String> d1Databases;
    private final Listing<Queue> queues;
    private final Listing<String> workersDev;
    /** Scripts being uploaded by {@link #scriptOrUpload}, by name: later callers wait for that upload. */
    private final ConcurrentMap<String, CompletableFuture<WorkerScript>> uploading = new ConcurrentHashMap<>();

    AccountInventory(CloudflareClient client, String account, Duration interval, Clock clock,
                     ScriptChanges changes) {
        this.client = client;
        this.account = account;
        this.interval = interval;
        this.clock = clock;
        this.scripts = new Listing<>(() -> byKey(client.listScripts(account), WorkerScript::id, s -> s),
                (before, after) -> {
                    Set<String> changed = before.keySet().stream().filter(name -> after.get(name) == null
                            || !Objects.equals(before.get(name).modifiedOn(), after.get(name).modifiedOn()))
                            .collect(Collectors.toSet());
                    if (!changed.isEmpty()) {
                        changes.changed(account, changed);
                    }
                });
        this.kvNamespaces = new Listing<>(() -> byKey(client.listKvNamespaces(account), ns -> ns.title(), ns -> ns.id()));
        this.r2Buckets = new Listing<>(() -> byKey(client.listR2Buckets(account), b -> b.name(), b -> b.name()));
        this.d1Databases = new Listing<>(() -> byKey(client.listD1Databases(account, null), db -> db.name(), db -> db.uuid()));
        this.queues = new Listing<>(() -> byKey(client.listQueues(account), Queue::name, q -> q));
        this.workersDev = new Listing<>(() -> Map.of(account, Objects.requireNonNull(client.accountSubdomain(account),
                () -> "account " + account + " has no workers.dev subdomain (set one in the dashboard)")));
    }

    public String account() {
        return account;
    }

    /** The account's workers.dev subdomain (the {subdomain} of script URLs), read once per interval. */
    public String workersDevSubdomain() {
        return workersDev.current(Instant.MIN).get(account);
    }

    /** A listed script, from a listing read at or after {@code notBefore} (older ones are read again first). */
    public Optional<WorkerScript> script(String name, Instant notBefore) {
        return Optional.ofNullable(scripts.current(notBefore).get(name));
    }

    /** A script as a listing read now shows it: after a write whose outcome is not known. */
    public Optional<WorkerScript> scriptListedNow(String name) {
        return script(name, clock.instant());
    }

    /** Reads the script listing again if its interval has run out (the periodic refresh of {@link AccountInventories}). */
    public void refreshScriptsIfDue() {
        scripts.current(Instant.MIN);
    }

    /** When the script listing {@link #script} answers from was read. */
    public Instant scriptsReadAt() {
        return scripts.readAt();
    }

    /** The ID of the KV namespace with this title; created when the account has none (a listing is read first). */
    public String kvNamespaceId(String title) {
        return findOrCreate(kvNamespaces, title, () -> client.findOrCreateKvNamespace(account, title).id());
    }

    public String r2Bucket(String name) {
        return findOrCreate(r2Buckets, name, () -> client.findOrCreateR2Bucket(account, name).name());
    }

    public String d1DatabaseId(String name) {
        return findOrCreate(d1Databases, name, () -> client.findOrCreateD1Database(account, name).uuid());
    }

    /** The queue with this name and its consumers as last listed; created when the account has none. */
    public Queue queue(String name) {
        return findOrCreate(queues, name, () -> client.findOrCreateQueue(account, name));
    }

    /** Every listed queue (the listing read at most once per interval). */
    public java.util.Collection<Queue> queues() {
        return queues.current(Instant.MIN).values();
    }

    /** After this operator uploaded a script: the listing shows it as the upload's answer did, without a read. */
    public void remember(WorkerScript script) {
        scripts.remember(script.id(), script);
    }

    /**
     * The listed script of this name, or the one {@code upload} makes when the listing lacks it. Concurrent callers
     * for one name share one upload and its answer or failure (a fleet deploying at once must not upload a shared
     * script once per worker).
     */
    public WorkerScript scriptOrUpload(String name, Supplier<WorkerScript> upload) {
        Optional<WorkerScript> known = script(name, Instant.MIN);
        if (known.isPresent()) {
            return known.get();
        }
        CompletableFuture<WorkerScript> mine = new CompletableFuture<>();
        CompletableFuture<WorkerScript> running = uploading.putIfAbsent(name, mine);
        if (running != null) {
            return awaitUpload(running);
        }
        try {
            // an upload that ended between the lookup above and putIfAbsent is remembered by now
            WorkerScript made = script(name, Instant.MIN).orElseGet(upload);
            remember(made);
            mine.complete(made);
            return made;
        } catch (RuntimeException e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            uploading.remove(name, mine);
        }
    }

    private static WorkerScript awaitUpload(CompletableFuture<WorkerScript> upload) {
        try {
            return upload.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException failure) {
                throw failure;
            }
            throw e;
        }
    }

    /** After this operator changed a queue's consumers: the listing shows them without reading it again. */
    public void rememberQueue(Queue queue) {
        queues.remember(queue.name(), queue);
    }

    /** After a script or resources were deleted: the next lookup reads the listings again instead of trusting them. */
    public void forget() {
        scripts.forget();
        kvNamespaces.forget();
        r2Buckets.forget();
        d1Databases.forget();
        queues.forget();
    }

    /**
     * A cached name is trusted until the listing's interval ends (a resource deleted behind our back is noticed
     * at the next read, and made again then). A name the listing lacks goes to the client's find-or-create, which
     * looks again (fresh) before it creates, so two workers binding one new namespace never make two.
     */
    private <V> V findOrCreate(Listing<V> listing, String name, Supplier<V> findOrCreate) {
        V known = listing.current(Instant.MIN).get(name);
        if (known != null) {
            return known;
        }
        V made = findOrCreate.get();
        listing.remember(name, made);
        return made;
    }

    private static <T, V> Map<String, V> byKey(List<T> items, Function<T, String> key, Function<T, V> value) {
        return items.stream().collect(Collectors.toUnmodifiableMap(key, value, (a, b) -> a));
    }

    /** One account-wide list call's answer, read at most once per interval unless a caller needs a newer one. */
    private final class Listing<V> {

        private final Supplier<Map<String, V>> read;
        private final BiConsumer<Map<String, V>, Map<String, V>> onChange;
        private volatile Map<String, V> entries;
        private volatile Instant readAt = Instant.MIN;

        Listing(Supplier<Map<String, V>> read) {
            this(read, (before, after) -> { });
        }

        /** @param onChange given the previous and the new entries after each read that had a previous one */
        Listing(Supplier<Map<String, V>> read, BiConsumer<Map<String, V>, Map<String, V>> onChange) {
            this.read = read;
            this.onChange = onChange;
        }

        synchronized Map<String, V> current(Instant notBefore) {
            Instant now = clock.instant();
            if (entries == null || readAt.isBefore(notBefore) || !now.isBefore(readAt.plus(interval))) {
                // stamped before the call: a change made while it runs is not taken as seen
                Instant started = now;
                Map<String, V> before = entries;
                entries = new ConcurrentHashMap<>(read.get());
                readAt = started;
                if (before != null) {
                    onChange.accept(before, entries);
                }
            }
            return entries;
        }

        Instant readAt() {
            return readAt;
        }

        synchronized void remember(String name, V value) {
            if (entries != null) {
                entries.put(name, value);
            }
        }

        synchronized void forget() {
            entries = null;
        }
    }
}
