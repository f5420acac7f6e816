package dev.pymode.operator.inventory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import dev.pymode.cloudflare.CloudflareClient;
import dev.pymode.cloudflare.ModuleType;
import dev.pymode.cloudflare.WorkerScript;
import dev.pymode.cloudflare.WorkerUpload;
import dev.pymode.devenv.LocalCloudflare;
import dev.pymode.operator.support.StandinRequests;
import dev.pymode.testkit.ManualClock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The shared account listings against the Cloudflare stand-in, counted from its request log: how many calls a
 * fleet's lookups cost, and when a listing is read again.
 */
class AccountInventoryTest {

    private static final String ACCOUNT = "0123456789abcdef0123456789abcdef";
    private static final Duration INTERVAL = Duration.ofMinutes(2);
    private static LocalCloudflare cloudflare;
    private static CloudflareClient client;

    private final ManualClock clock = new ManualClock(Instant.parse("2026-12-07T00:00:00Z"));
    private AccountInventory inventory;

    @BeforeAll
    static void startStandin() throws Exception {
        cloudflare = new LocalCloudflare(Files.createTempDirectory("inventory-test"), ACCOUNT, "inventory-token").start();
        client = CloudflareClient.builder(cloudflare.token()).baseUrl(cloudflare.apiUrl()).build();
    }

    @AfterAll
    static void stopStandin() throws Exception {
        client.close();
        cloudflare.close();
    }

    @BeforeEach
    void freshInventory() throws Exception {
        inventory = new AccountInventories(INTERVAL, clock).of(client, ACCOUNT);
        calls();
    }

    /** The API calls since the last look, as "METHOD path"; the log is cleared. */
    private static List<String> calls() throws Exception {
        return StandinRequests.since(cloudflare, ACCOUNT);
    }

    @Test
    void aThousandLookupsInOneIntervalCostOneListing() throws Exception {
        for (int i = 0; i < 1000; i++) {
            assertThat(inventory.script("worker-" + i, Instant.MIN)).isEmpty();
        }
        assertThat(calls()).containsExactly("GET /workers/scripts");

        clock.advance(INTERVAL.minusSeconds(1));
        inventory.script("worker-1", Instant.MIN);
        assertThat(calls()).as("still within the interval").isEmpty();

        clock.advance(Duration.ofSeconds(1));
        inventory.script("worker-1", Instant.MIN);
        assertThat(calls()).as("the interval ran out").containsExactly("GET /workers/scripts");
    }

    @Test
    void theWorkersDevSubdomainIsReadOncePerInterval() throws Exception {
        assertThat(inventory.workersDevSubdomain()).isEqualTo(LocalCloudflare.SUBDOMAIN);
        assertThat(inventory.workersDevSubdomain()).isEqualTo(LocalCloudflare.SUBDOMAIN);
        assertThat(calls()).containsExactly("GET /workers/subdomain");
        clock.advance(INTERVAL);
        inventory.workersDevSubdomain();
        assertThat(calls()).containsExactly("GET /workers/subdomain");
    }

    @Test
    void aCallerThatWroteAfterTheLastReadGetsANewOne() throws Exception {
        inventory.script("w", Instant.MIN);
        calls();
        clock.advance(Duration.ofSeconds(5));
        inventory.script("w", clock.instant());
        assertThat(calls()).containsExactly("GET /workers/scripts");
        assertThat(inventory.scriptsReadAt()).isEqualTo(clock.instant());
        inventory.script("w", clock.instant());
        assertThat(calls()).as("the newest read is recent enough").isEmpty();
    }

    @Test
    void aMissingNamespaceIsCreatedOnceAndThenServedFromTheListing() throws Exception {
        String id = inventory.kvNamespaceId("inventory-new");
        assertThat(id).isNotBlank();
        List<String> first = calls();
        assertThat(first).contains("POST /storage/kv/namespaces");
        assertThat(inventory.kvNamespaceId("inventory-new")).isEqualTo(id);
        assertThat(calls()).as("known now").isEmpty();

        // another worker's inventory (a restart) finds it in one listing, without creating a second one
        var other = new AccountInventories(INTERVAL, clock).of(client, ACCOUNT);
        assertThat(other.kvNamespaceId("inventory-new")).isEqualTo(id);
        assertThat(calls()).containsExactly("GET /storage/kv/namespaces");
    }

    /** A new script listing names the scripts changed or deleted since the one before; an unchanged one names none. */
    @Test
    void aNewListingTellsWhichScriptsChangedOrWent() throws Exception {
        List<Set<String>> told = new ArrayList<>();
        AccountInventories inventories = new AccountInventories(INTERVAL, clock);
        inventories.onScriptsChanged((account, scripts) -> told.add(scripts));
        var listings = inventories.of(client, ACCOUNT);
        for (String name : List.of("kept", "changed", "deleted")) {
            client.uploadScript(ACCOUNT, name, hello(name));
        }
        listings.refreshScriptsIfDue();
        clock.advance(INTERVAL);
        listings.refreshScriptsIfDue();
        assertThat(told).as("nothing changed between the two listings").isEmpty();

        client.uploadScript(ACCOUNT, "changed", hello("changed again"));
        client.deleteScript(ACCOUNT, "deleted");
        listings.refreshScriptsIfDue();
        assertThat(told).as("the interval has not run out").isEmpty();
        clock.advance(INTERVAL);
        inventories.refreshAll();
        assertThat(told).containsExactly(Set.of("changed", "deleted"));
    }

    private static WorkerUpload hello(String text) {
        return WorkerUpload.builder("index.js").compatibilityDate("2025-04-01")
                .module("index.js", ModuleType.ESM, ("export default { fetch() { return new Response('" + text
                        + "'); } };").getBytes(StandardCharsets.UTF_8))
                .build();
    }

    @Test
    void forgettingMakesTheNextLookupReadAgain() throws Exception {
        String id = inventory.kvNamespaceId("inventory-forget");
        inventory.script("w", Instant.MIN);
        calls();
        client.deleteKvNamespace(ACCOUNT, id);
        inventory.forget();
        calls();
        String again = inventory.kvNamespaceId("inventory-forget");
        assertThat(again).as("made again, not the deleted one").isNotEqualTo(id);
        inventory.script("w", Instant.MIN);
        assertThat(calls()).contains("GET /storage/kv/namespaces", "POST /storage/kv/namespaces", "GET /workers/scripts");
    }

    /**
     * A fleet deploying at once needs one shared script (the account's assets script): the first caller uploads it,
     * the others wait for that upload instead of repeating it, and then the listing answers without a call.
     */
    @Test
    void concurrentCallersShareOneUploadOfAScript() throws Exception {
        AtomicInteger uploads = new AtomicInteger();
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        var made = new WorkerScript("shared-x", null, null, "2026-12-07T00:00:00Z", List.of());
        Supplier<WorkerScript> upload = () -> {
            uploads.incrementAndGet();
            started.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return made;
        };
        var pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<WorkerScript>> results = new ArrayList<>();
            results.add(pool.submit(() -> inventory.scriptOrUpload("shared-x", upload)));
            started.await();
            for (int i = 0; i < 7; i++) {
                results.add(pool.submit(() -> inventory.scriptOrUpload("shared-x", upload)));
            }
            Thread.sleep(200); // the seven reach the running upload
            release.countDown();
            for (var r : results) {
                assertThat(r.get()).isEqualTo(made);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(uploads).hasValue(1);
        assertThat(inventory.scriptOrUpload("shared-x", upload)).isEqualTo(made);
        assertThat(uploads).as("remembered in the listing").hasValue(1);
        assertThat(calls()).containsExactly("GET /workers/scripts");
    }

    /** A failed upload fails every caller that waited for it, and the next caller tries again. */
    @Test
    void aFailedSharedUploadFailsItsWaitersAndIsTriedAgainLater() throws Exception {
        AtomicInteger uploads = new AtomicInteger();
        IllegalStateException refused = new IllegalStateException("refused");
        assertThatFails(() -> inventory.scriptOrUpload("shared-y", () -> {
            uploads.incrementAndGet();
            throw refused;
        }), refused);
        var made = new WorkerScript("shared-y", null, null, "2026-12-07T00:00:00Z", List.of());
        assertThat(inventory.scriptOrUpload("shared-y", () -> {
            uploads.incrementAndGet();
            return made;
        })).isEqualTo(made);
        assertThat(uploads).hasValue(2);
    }

    private static void assertThatFails(Runnable call, RuntimeException expected) {
        assertThatThrownBy(call::run).isSameAs(expected);
    }
}
