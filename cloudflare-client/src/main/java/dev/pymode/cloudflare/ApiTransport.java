package dev.pymode.cloudflare;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * Sends {@link ApiCall}s: authentication, the per-account budget, retries with backoff, and turning the
 * Cloudflare envelope into a result or an exception. Every call of the client goes through {@link #execute}.
 */
final class ApiTransport {

    private static final System.Logger LOG = System.getLogger(ApiTransport.class.getName());
    private static final MediaType JSON = MediaType.get("application/json");

    private final OkHttpClient http;
    private final HttpUrl baseUrl;
    private final String apiToken;
    private final ObjectMapper mapper;
    private final RateLimiter rateLimiter;
    private final RetryPolicy retryPolicy;
    private final Sleeper sleeper;
    private final DoubleSupplier jitter;
    private final Duration maxPermitWait;
    private final ApiObserver observer;
    /** On whose behalf the calls are made, for the limiter's fair shares; null for shared work. */
    private final String tenant;
    /** Permits taken ahead for this view's calls ({@link #reserve}); null when each call takes its own. */
    private final Reservation reservation;
    /** Whether this view has sent a call other than GET (answered or not): it may have changed the account. */
    private final AtomicBoolean sentWrite = new AtomicBoolean();

    ApiTransport(OkHttpClient http, HttpUrl baseUrl, String apiToken, ObjectMapper mapper, RateLimiter rateLimiter,
            RetryPolicy retryPolicy, Sleeper sleeper, DoubleSupplier jitter, Duration maxPermitWait,
            ApiObserver observer, String tenant) {
        this(http, baseUrl, apiToken, mapper, rateLimiter, retryPolicy, sleeper, jitter, maxPermitWait, observer,
                tenant, null);
    }

    private ApiTransport(OkHttpClient http, HttpUrl baseUrl, String apiToken, ObjectMapper mapper,
            RateLimiter rateLimiter, RetryPolicy retryPolicy, Sleeper sleeper, DoubleSupplier jitter,
            Duration maxPermitWait, ApiObserver observer, String tenant, Reservation reservation) {
        this.reservation = reservation;
        this.observer = observer;
        this.tenant = tenant;
        this.http = http;
        this.baseUrl = baseUrl;
        this.apiToken = apiToken;
        this.mapper = mapper;
        this.rateLimiter = rateLimiter;
        this.retryPolicy = retryPolicy;
        this.sleeper = sleeper;
        this.jitter = jitter;
        this.maxPermitWait = maxPermitWait;
    }

    /** The same transport (connections, limiter, policies) making its calls on behalf of {@code tenant}. */
    ApiTransport forTenant(String tenant) {
        return new ApiTransport(http, baseUrl, apiToken, mapper, rateLimiter, retryPolicy, sleeper, jitter,
                maxPermitWait, observer, tenant, null);
    }

    /**
     * The same transport with {@code permits} for {@code account} taken now, all at once (waiting as a single call
     * would, else {@link RateLimitedException}); its calls spend them first.
     */
    ApiTransport reserve(String what, String account, int permits) {
        acquire(what, account, () -> rateLimiter.tryAcquire(what, account, tenant, permits));
        return new ApiTransport(http, baseUrl, apiToken, mapper, rateLimiter, retryPolicy, sleeper, jitter,
                maxPermitWait, observer, tenant, new Reservation(rateLimiter, account, permits));
    }

    /** Whether this view (not the one it was made from) has sent a call that may have changed the account. */
    boolean sentWrite() {
        return sentWrite.get();
    }

    /** Gives back what this view reserved and did not spend. */
    void releaseReservation() {
        if (reservation != null) {
            reservation.release();
        }
    }

    ObjectMapper mapper() {
        return mapper;
    }

    HttpUrl baseUrl() {
        return baseUrl;
    }

    RetryPolicy retryPolicy() {
        return retryPolicy;
    }

    RequestBody json(Object value) {
        try {
            return RequestBody.create(mapper.writeValueAsBytes(value), JSON);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot serialise a request body", e);
        }
    }

    ApiResponse execute(ApiCall call) {
        if (call.rateLimitKey == null) {
            throw new IllegalStateException(call.name() + " names no account to budget it by");
        }
        for (int attempt = 1; ; attempt++) {
            acquirePermit(call);
            String retryReason;
            IOException ioFailure = null;
            long started = System.nanoTime();
            if (!"GET".equals(call.method)) {
                sentWrite.set(true);
            }
            try (Response response = http.newCall(request(call)).execute()) {
                int status = response.code();
                observer.exchanged(call.name(), status, Duration.ofNanos(System.nanoTime() - started));
                if (status == 429) {
                    Instant now = rateLimiter.clock().instant();
                    Instant until = now.plus(retryAfter(response.header("Retry-After"), now));
                    rateLimiter.block(call.rateLimitKey, until);
                    LOG.log(Level.WARNING, "{0}: HTTP 429, blocking account {1} until {2}", call.name(),
                            call.rateLimitKey, until);
                    throw new RateLimitedException(call.name(), call.rateLimitKey, until, "HTTP 429");
                }
                byte[] body = response.body().bytes();
                if (status < 500 || !call.retryable() || attempt >= retryPolicy.maxAttempts()) {
                    return envelope(call, status, body, response.header("Content-Type"));
                }
                retryReason = "HTTP " + status;
            } catch (IOException e) {
                observer.exchanged(call.name(), 0, Duration.ofNanos(System.nanoTime() - started));
                if (e instanceof InterruptedIOException && Thread.currentThread().isInterrupted()) {
                    throw new CloudflareException(call.name(), "interrupted", e);
                }
                if (!call.retryable() || attempt >= retryPolicy.maxAttempts()) {
                    throw new CloudflareException(call.name(),
                            "I/O error after " + attempt + " attempt(s): " + e.getClass().getSimpleName() + ": "
                                    + e.getMessage(), e);
                }
                ioFailure = e;
                retryReason = e.getClass().getSimpleName();
            }
            backoff(call.name(), attempt, retryReason, ioFailure);
        }
    }

    /** Waits the policy's delay after a failed attempt; also used by callers that retry on their own. */
    void backoff(String callName, int failedAttempt, String reason, Exception cause) {
        Duration delay = retryPolicy.delayAfter(failedAttempt, jitter.getAsDouble());
        LOG.log(Level.INFO, "{0}: {1} on attempt {2}/{3}, retrying in {4} ms", callName, reason, failedAttempt,
                retryPolicy.maxAttempts(), delay.toMillis());
        pause(callName, delay, cause);
    }

    private void acquirePermit(ApiCall call) {
        if (reservation != null && reservation.take(call.rateLimitKey)) {
            // taken ahead; a 429 since then still stops the call
            rateLimiter.blockedUntil(call.rateLimitKey).ifPresent(until -> {
                observer.refused(call.name(), "blocked");
                throw new RateLimitedException(call.name(), call.rateLimitKey, until, "Cloudflare answered 429 earlier");
            });
            return;
        }
        acquire(call.name(), call.rateLimitKey, () -> tryAcquire(call));
    }

    /** Takes what {@code attempt} asks the limiter for, waiting up to maxPermitWait in all. */
    private void acquire(String name, String account, Supplier<Duration> attempt) {
        Duration waited = Duration.ZERO;
        try {
            for (Duration wait = attempt.get(); !wait.isZero(); wait = attempt.get()) {
                if (waited.plus(wait).compareTo(maxPermitWait) > 0) {
                    // A short wait smooths bursts; a long one would park the reconcile thread, so give it back.
                    observer.refused(name, "budget");
                    throw new RateLimitedException(name, account,
                            rateLimiter.clock().instant().plus(wait), "client-side request budget spent");
                }
                waited = waited.plus(wait);
                pause(name, wait, null);
            }
        } finally {
            if (!waited.isZero()) {
                observer.waitedForPermit(name, waited);
            }
        }
    }

    private Duration tryAcquire(ApiCall call) {
        try {
            return rateLimiter.tryAcquire(call.name(), call.rateLimitKey, tenant);
        } catch (RateLimitedException e) {
            observer.refused(call.name(), "blocked");
            throw e;
        }
    }

    private void pause(String callName, Duration delay, Exception cause) {
        try {
            sleeper.sleep(delay);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            CloudflareException interrupted = new CloudflareException(callName, "interrupted while waiting", e);
            if (cause != null) {
                interrupted.addSuppressed(cause);
            }
            throw interrupted;
        }
    }

    private Request request(ApiCall call) {
        Request.Builder request = new Request.Builder()
                .url(call.url(baseUrl))
                .header("Authorization", "Bearer " + (call.bearer != null ? call.bearer.value() : apiToken))
                .header("Accept", "application/json");
        call.headers.forEach(request::header);
        RequestBody body = call.body;
        if (body == null && (call.method.equals("POST") || call.method.equals("PUT") || call.method.equals("PATCH"))) {
            body = RequestBody.create(new byte[0], null);
        }
        return request.method(call.method, body).build();
    }

    /** Seconds (what Cloudflare sends) or an HTTP date; absent or unreadable means Cloudflare's 5-minute block. */
    static Duration retryAfter(String header, Instant now) {
        if (header == null || header.isBlank()) {
            return RateLimiter.DEFAULT_BLOCK;
        }
        String value = header.trim();
        try {
            return Duration.ofSeconds(Math.max(0, Long.parseLong(value)));
        } catch (NumberFormatException notSeconds) {
            try {
                ZonedDateTime at = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME);
                Duration left = Duration.between(now, at.toInstant());
                return left.isNegative() ? Duration.ZERO : left;
            } catch (DateTimeParseException notDate) {
                return RateLimiter.DEFAULT_BLOCK;
            }
        }
    }

    private ApiResponse envelope(ApiCall call, int status, byte[] body, String contentType) {
        JsonNode root;
        try {
            root = body.length == 0 ? null : mapper.readTree(body);
        } catch (IOException notJson) {
            root = null;
        }
        boolean ok = status >= 200 && status < 300;
        if (root == null || !root.isObject() || !root.has("success")) {
            // The body is not shown: it is not Cloudflare's envelope and may be anything a proxy made up.
            String detail = "response is not a Cloudflare envelope (" + (contentType == null ? "no content type"
                    : contentType) + ", " + body.length + " bytes)";
            if (ok && body.length == 0) {
                return new ApiResponse(status, null, null);
            }
            throw new CloudflareApiException(call.name(), status, List.of(), detail);
        }
        List<ApiError> errors = new ArrayList<>();
        for (JsonNode error : root.path("errors")) {
            errors.add(new ApiError(error.path("code").asInt(), error.path("message").asText("")));
        }
        if (!ok || !root.path("success").asBoolean(false)) {
            throw new CloudflareApiException(call.name(), status, errors, "success is false and no errors given");
        }
        return new ApiResponse(status, root.get("result"), root.get("result_info"));
    }

    @Override
    public String toString() {
        return "ApiTransport[" + baseUrl + ", token=<redacted>]";
    }
}
