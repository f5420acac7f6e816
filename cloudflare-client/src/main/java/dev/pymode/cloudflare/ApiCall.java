package dev.pymode.cloudflare;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import okhttp3.HttpUrl;
import okhttp3.RequestBody;

/**
 * One request to make: method, path template with its values, query, body and whether it may be re-sent.
 * The template doubles as the call's name in errors and logs, so messages never carry path values' secrets
 * (there are none in paths) nor bodies.
 */
final class ApiCall {

    private static final String ACCOUNT_PREFIX = "/accounts/{account}/";

    final String method;
    final String template;
    final List<String> pathValues;
    final Map<String, String> query = new LinkedHashMap<>();
    final Map<String, String> headers = new LinkedHashMap<>();
    RequestBody body;
    String rateLimitKey;
    /** Sent as the bearer instead of the API token (a static-assets upload token); never printed. */
    AssetsToken bearer;
    private boolean retrySafe;

    private ApiCall(String method, String template, String... pathValues) {
        this.method = method;
        this.template = template;
        this.pathValues = List.of(pathValues);
        long placeholders = template.chars().filter(c -> c == '{').count();
        if (placeholders != pathValues.length) {
            throw new IllegalArgumentException(template + " takes " + placeholders + " path values");
        }
        for (String value : pathValues) {
            if (value == null || value.isEmpty()) {
                throw new IllegalArgumentException(template + ": empty path value");
            }
        }
        // Account-scoped calls are budgeted by that account; others must name it with forAccount().
        this.rateLimitKey = template.startsWith(ACCOUNT_PREFIX) ? pathValues[0] : null;
    }

    static ApiCall get(String template, String... values) {
        return new ApiCall("GET", template, values);
    }

    static ApiCall post(String template, String... values) {
        return new ApiCall("POST", template, values);
    }

    static ApiCall put(String template, String... values) {
        return new ApiCall("PUT", template, values);
    }

    static ApiCall patch(String template, String... values) {
        return new ApiCall("PATCH", template, values);
    }

    static ApiCall delete(String template, String... values) {
        return new ApiCall("DELETE", template, values);
    }

    ApiCall query(String name, Object value) {
        if (value != null) {
            query.put(name, String.valueOf(value));
        }
        return this;
    }

    ApiCall header(String name, String value) {
        headers.put(name, value);
        return this;
    }

    ApiCall body(RequestBody requestBody) {
        this.body = requestBody;
        return this;
    }

    /** The rate-limit bucket for calls whose path names no account (zones, the user's token). */
    ApiCall forAccount(String account) {
        this.rateLimitKey = account;
        return this;
    }

    /** Authorises this call with {@code token} instead of the client's API token. */
    ApiCall authorizedBy(AssetsToken token) {
        this.bearer = token;
        return this;
    }

    /** Marks a non-idempotent method as safe to re-send: repeating it leaves the same state. */
    ApiCall retrySafe() {
        this.retrySafe = true;
        return this;
    }

    ApiCall copyWithQuery(String name, Object value) {
        ApiCall copy = new ApiCall(method, template, pathValues.toArray(String[]::new));
        copy.query.putAll(query);
        copy.headers.putAll(headers);
        copy.body = body;
        copy.rateLimitKey = rateLimitKey;
        copy.bearer = bearer;
        copy.retrySafe = retrySafe;
        return copy.query(name, value);
    }

    /** GET, PUT and DELETE are idempotent by HTTP's definition; POST and PATCH only when marked. */
    boolean retryable() {
        return retrySafe || method.equals("GET") || method.equals("PUT") || method.equals("DELETE");
    }

    /** E.g. {@code PUT workers/scripts/{script}}. */
    String name() {
        String path = template.startsWith(ACCOUNT_PREFIX) ? template.substring(ACCOUNT_PREFIX.length())
                : template.substring(1);
        return method + " " + path;
    }

    HttpUrl url(HttpUrl base) {
        HttpUrl.Builder url = base.newBuilder();
        List<String> values = new ArrayList<>(pathValues);
        for (String segment : template.substring(1).split("/")) {
            // addPathSegment percent-encodes, so a value can never add segments of its own
            url.addPathSegment(segment.startsWith("{") ? values.remove(0) : segment);
        }
        query.forEach(url::addQueryParameter);
        return url.build();
    }

    @Override
    public String toString() {
        return name();
    }
}
