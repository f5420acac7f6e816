package dev.pymode.operator.support;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pymode.devenv.LocalCloudflare;

/** The request log of a stand-in a test started itself (not the e2e one: see {@link Standin}). */
public final class StandinRequests {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();

    private StandinRequests() {
    }

    /** The API calls since the last look, as "METHOD path" with the account prefix left out; the log is cleared. */
    public static List<String> since(LocalCloudflare cloudflare, String account) throws Exception {
        var get = HttpRequest.newBuilder(URI.create(cloudflare.baseUrl() + "/__standin/requests")).build();
        List<String> calls = new ArrayList<>();
        for (JsonNode r : JSON.readTree(HTTP.send(get, HttpResponse.BodyHandlers.ofString()).body()).path("requests")) {
            calls.add(r.path("method").asText() + " " + r.path("path").asText().replace("/accounts/" + account, ""));
        }
        HTTP.send(HttpRequest.newBuilder(URI.create(cloudflare.baseUrl() + "/__standin/requests")).DELETE().build(),
                HttpResponse.BodyHandlers.discarding());
        return calls;
    }
}
