package dev.pymode.cloudflare;

import mockwebserver3.MockResponse;

/** Cloudflare envelopes for canned responses. */
final class Envelopes {

    private Envelopes() {
    }

    static MockResponse ok(String resultJson) {
        return json(200, "{\"success\":true,\"errors\":[],\"messages\":[],\"result\":" + resultJson + "}");
    }

    static MockResponse ok(String resultJson, String resultInfoJson) {
        return json(200, "{\"success\":true,\"errors\":[],\"messages\":[],\"result\":" + resultJson
                + ",\"result_info\":" + resultInfoJson + "}");
    }

    static MockResponse failure(int status, int code, String message) {
        return json(status, "{\"success\":false,\"errors\":[{\"code\":" + code + ",\"message\":\"" + message
                + "\"}],\"messages\":[],\"result\":null}");
    }

    static MockResponse json(int status, String body) {
        return new MockResponse.Builder().code(status).addHeader("Content-Type", "application/json").body(body)
                .build();
    }
}
