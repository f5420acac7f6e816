package dev.pymode.cloudflare;

import static dev.pymode.cloudflare.Envelopes.failure;
import static dev.pymode.cloudflare.Envelopes.ok;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Duration;
import java.time.Instant;

import mockwebserver3.MockResponse;

import org.junit.jupiter.api.Test;

class RateLimitTest extends ClientFixture {

    static final String OTHER_ACCOUNT = "fedcba9876543210fedcba9876543210";

    @Test
    void a429BlocksTheAccountUntilRetryAfterThenCallsGoThroughAgain() throws Exception {
        server.enqueue(new MockResponse.Builder(failure(429, 971, "Please wait and consider throttling your request speed"))
                .addHeader("Retry-After", "300").build());
        server.enqueue(ok("[]"));
        server.enqueue(ok("[]"));
        Instant start = clock.instant();

        RateLimitedException first = catchThrowableOfType(RateLimitedException.class,
                () -> client.listScripts(ACCOUNT));
        assertThat(first.retryAt()).isEqualTo(start.plusSeconds(300));
        assertThat(first.account()).isEqualTo(ACCOUNT);
        assertThat(first.call()).isEqualTo("GET workers/scripts");

        // blocked: fails fast, nothing is sent, nothing sleeps
        clock.advance(Duration.ofSeconds(299));
        RateLimitedException blocked = catchThrowableOfType(RateLimitedException.class,
                () -> client.getSettings(ACCOUNT, "w"));
        assertThat(blocked.retryAt()).isEqualTo(start.plusSeconds(300));
        assertThat(server.getRequestCount()).isEqualTo(1);
        assertThat(clock.sleeps).isEmpty();
        assertThat(client.rateLimiter().blockedUntil(ACCOUNT)).contains(start.plusSeconds(300));

        // other accounts are not blocked
        assertThat(client.listScripts(OTHER_ACCOUNT)).isEmpty();

        clock.advance(Duration.ofSeconds(1));
        assertThat(client.listScripts(ACCOUNT)).isEmpty();
        assertThat(server.getRequestCount()).isEqualTo(3);
        assertThat(client.rateLimiter().blockedUntil(ACCOUNT)).isEmpty();
    }

    /** What an observer (the operator's metrics) is told: each exchange with its status, waits, refusals. */
    @Test
    void theObserverSeesExchangesWaitsAndRefusals() throws Exception {
        java.util.List<String> seen = new java.util.ArrayList<>();
        ApiObserver observer = new ApiObserver() {
            @Override
            public void exchanged(String call, int status, Duration took) {
                seen.add("exchanged " + call + " " + status);
            }

            @Override
            public void waitedForPermit(String call, Duration waited) {
                seen.add("waited " + call + " " + waited.toSeconds() + "s");
            }

            @Override
            public void refused(String call, String reason) {
                seen.add("refused " + call + " " + reason);
            }
        };
        client.close();
        client = clientBuilder().observer(observer).rateLimiter(new RateLimiter(clock, 1, 0.5))
                .maxPermitWait(Duration.ofSeconds(3)).build();
        server.enqueue(ok("[]"));
        server.enqueue(ok("[]"));
        server.enqueue(new MockResponse.Builder(failure(429, 971, "throttled")).addHeader("Retry-After", "60").build());

        client.listScripts(ACCOUNT);                          // the one permit of the burst
        client.listScripts(ACCOUNT);                          // waits 2 s for the next one
        catchThrowableOfType(RateLimitedException.class, () -> client.listScripts(ACCOUNT));   // 429
        catchThrowableOfType(RateLimitedException.class, () -> client.getSettings(ACCOUNT, "w")); // blocked

        assertThat(seen).containsExactly(
                "exchanged GET workers/scripts 200",
                "waited GET workers/scripts 2s",
                "exchanged GET workers/scripts 200",
                "waited GET workers/scripts 2s",
                "exchanged GET workers/scripts 429",
                "refused GET workers/scripts/{script}/settings blocked");
    }

    /**
     * When permits run short, a namespace that took far more than its share waits and the reserve goes to the
     * others; shared work (no tenant) and a lone tenant are never held back by the rule.
     */
    @Test
    void scarcePermitsGoFirstToTenantsBelowTheirFairShare() {
        RateLimiter limiter = new RateLimiter(clock, 20, 0.1);  // reserve: a quarter of the burst, 5 permits
        for (int i = 0; i < 14; i++) {
            assertThat(limiter.tryAcquire("c", ACCOUNT, "busy")).isZero();
        }
        // 6 left: above the reserve, so a lone busy tenant still goes on
        assertThat(limiter.tryAcquire("c", ACCOUNT, "busy")).isZero();
        assertThat(limiter.tryAcquire("c", ACCOUNT, "quiet")).isZero();
        // 4 left, below the reserve: busy (15 of 16 recent permits) is over its share of two tenants and waits
        Duration busyWait = limiter.tryAcquire("c", ACCOUNT, "busy");
        assertThat(busyWait).isPositive();
        assertThat(limiter.tryAcquire("c", ACCOUNT, "quiet")).isZero();
        assertThat(limiter.tryAcquire("c", ACCOUNT, "another")).isZero();
        assertThat(limiter.tryAcquire("c", ACCOUNT, null)).as("shared work").isZero();
        assertThat(limiter.tryAcquire("c", ACCOUNT, "busy")).as("still over its share").isPositive();
        // the last permit: quiet is within its share
        assertThat(limiter.tryAcquire("c", ACCOUNT, "quiet")).isZero();
        assertThat(limiter.tryAcquire("c", ACCOUNT, "quiet")).as("the bucket is empty for everyone").isPositive();

        // minutes later the old use has faded and the bucket is full again: busy goes on
        clock.advance(Duration.ofMinutes(10));
        assertThat(limiter.tryAcquire("c", ACCOUNT, "busy")).isZero();
    }

    @Test
    void aTenantClientSharesTheLimiterAndConnections() throws Exception {
        client.close();
        client = clientBuilder().rateLimiter(new RateLimiter(clock, 1, 0.001)).maxPermitWait(Duration.ZERO).build();
        server.enqueue(ok("[]"));
        CloudflareClient team = client.forTenant("team-a");
        assertThat(team.listScripts(ACCOUNT)).isEmpty();
        assertThat(team.rateLimiter()).isSameAs(client.rateLimiter());
        // the one permit is spent, by the tenant view: the base client has to wait too
        catchThrowableOfType(RateLimitedException.class, () -> client.listScripts(ACCOUNT));
        team.close();
        server.enqueue(ok("[]"));
        clock.advance(Duration.ofHours(1));
        assertThat(client.listScripts(ACCOUNT)).as("closing the tenant view left the connections open").isEmpty();
    }

    @Test
    void aSequenceTakesItsPermitsAtOnceOrNotAtAllAndGivesBackWhatItDidNotSpend() throws Exception {
        RateLimiter limiter = new RateLimiter(clock, 6, 0.001);
        client.close();
        client = clientBuilder().rateLimiter(limiter).maxPermitWait(Duration.ZERO).build();
        for (int i = 0; i < 3; i++) {
            server.enqueue(ok("[]"));
        }
        client.listScripts(ACCOUNT);
        client.listScripts(ACCOUNT);
        // 4 left: a sequence of 5 is refused before its first call, and takes nothing
        RateLimitedException refused = catchThrowableOfType(RateLimitedException.class,
                () -> client.reserving("deploy w", ACCOUNT, 5));
        assertThat(refused.call()).isEqualTo("deploy w");
        assertThat(server.getRequestCount()).isEqualTo(2);

        try (CloudflareClient sequence = client.reserving("deploy w", ACCOUNT, 3)) {
            // the single permit left goes to someone else; the sequence's calls spend what it took
            assertThat(limiter.tryAcquire("other", ACCOUNT)).isZero();
            assertThat(limiter.tryAcquire("other", ACCOUNT)).isPositive();
            assertThat(sequence.listScripts(ACCOUNT)).isEmpty();
        }
        // two of the three were not spent: they are back
        assertThat(limiter.tryAcquire("after", ACCOUNT, null, 2)).isZero();
        assertThat(limiter.tryAcquire("after", ACCOUNT)).isPositive();
        assertThat(server.getRequestCount()).isEqualTo(3);
    }

    @Test
    void aSequenceWithPermitsInHandStillStopsAtA429Block() {
        CloudflareClient sequence = client.reserving("deploy w", ACCOUNT, 3);
        client.rateLimiter().block(ACCOUNT, clock.instant().plusSeconds(30));
        catchThrowableOfType(RateLimitedException.class, () -> sequence.listScripts(ACCOUNT));
        assertThat(server.getRequestCount()).isZero();
        sequence.close();
    }

    @Test
    void a429WithoutRetryAfterBlocksForCloudflaresFiveMinutes() {
        server.enqueue(failure(429, 971, "throttled"));
        RateLimitedException e = catchThrowableOfType(RateLimitedException.class, () -> client.listScripts(ACCOUNT));
        assertThat(e.retryAt()).isEqualTo(clock.instant().plus(RateLimiter.DEFAULT_BLOCK));
    }

    @Test
    void theBlockIsSharedByEveryClientOfTheSameLimiter() {
        server.enqueue(new MockResponse.Builder(failure(429, 971, "throttled")).addHeader("Retry-After", "60").build());
        catchThrowableOfType(RateLimitedException.class, () -> client.listScripts(ACCOUNT));

        try (CloudflareClient second = clientBuilder().rateLimiter(client.rateLimiter()).build()) {
            catchThrowableOfType(RateLimitedException.class, () -> second.listScripts(ACCOUNT));
        }
        assertThat(server.getRequestCount()).isEqualTo(1);
    }

    @Test
    void retryAfterAlsoAcceptsAnHttpDate() {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");
        assertThat(ApiTransport.retryAfter("Thu, 01 Jan 2026 00:02:00 GMT", now)).isEqualTo(Duration.ofMinutes(2));
        assertThat(ApiTransport.retryAfter("soon", now)).isEqualTo(RateLimiter.DEFAULT_BLOCK);
        assertThat(ApiTransport.retryAfter("-5", now)).isEqualTo(Duration.ZERO);
    }

    @Test
    void theTokenBucketSmoothsBurstsAndFailsFastWhenTheWaitWouldBeLong() {
        RateLimiter limiter = new RateLimiter(clock, 2, 1.0);
        client.close();
        client = clientBuilder().rateLimiter(limiter).maxPermitWait(Duration.ofSeconds(2)).build();
        for (int i = 0; i < 4; i++) {
            server.enqueue(ok("[]"));
        }

        client.listScripts(ACCOUNT);
        client.listScripts(ACCOUNT);
        assertThat(clock.sleeps).isEmpty();
        client.listScripts(ACCOUNT); // bucket empty: waits one second for a permit
        assertThat(clock.sleeps).containsExactly(Duration.ofSeconds(1));

        // a limiter that refills once a minute would park the caller: it gets the instant instead
        RateLimiter slow = new RateLimiter(clock, 1, 1.0 / 60);
        try (CloudflareClient starved = clientBuilder().rateLimiter(slow).maxPermitWait(Duration.ofSeconds(2)).build()) {
            starved.listScripts(ACCOUNT);
            Instant before = clock.instant();
            RateLimitedException e = catchThrowableOfType(RateLimitedException.class,
                    () -> starved.listScripts(ACCOUNT));
            assertThat(e).hasMessageContaining("client-side request budget spent");
            assertThat(e.retryAt()).isEqualTo(before.plusSeconds(60));
        }
        assertThat(server.getRequestCount()).isEqualTo(4);
    }

    @Test
    void cloudflareDefaultsNeverExceed1200RequestsInFiveMinutes() {
        RateLimiter limiter = RateLimiter.cloudflareDefaults(clock);
        int granted = 0;
        Instant end = clock.instant().plus(Duration.ofMinutes(5));
        while (clock.instant().isBefore(end)) {
            Duration wait = limiter.tryAcquire("test", ACCOUNT);
            if (wait.isZero()) {
                granted++;
            } else {
                clock.advance(wait);
            }
        }
        assertThat(granted).isBetween(1190, 1200);
    }
}
