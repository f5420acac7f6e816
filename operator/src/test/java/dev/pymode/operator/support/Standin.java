package dev.pymode.operator.support;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Calls to the Cloudflare stand-in of {@link EndToEndResource}: its Cloudflare API (as the account's token holder)
 * and its admin endpoints (/__standin: scripts, request log, faults).
 */
public final class Standin {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();

    private Standin() {
    }

    /** {@code GET <api>/<apiPath>} with the account's token. */
    public static HttpResponse<String> api(String apiPath) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(EndToEndResource.cloudflare.apiUrl() + apiPath))
                .header("Authorization", "Bearer " + EndToEndResource.cloudflare.token()).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** {@code GET <api>/<apiPath>} as JSON. */
    public static JsonNode apiJson(String apiPath) throws Exception {
        return JSON.readTree(api(apiPath).body());
    }

    /** {@code <method> <api>/<apiPath>} with the account's token and a JSON body (or none): a change made behind the operator's back. */
    public static HttpResponse<String> api(String method, String apiPath, Object body) throws Exception {
        HttpRequest.BodyPublisher publisher = body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body));
        return HTTP.send(HttpRequest.newBuilder(URI.create(EndToEndResource.cloudflare.apiUrl() + apiPath))
                .header("Authorization", "Bearer " + EndToEndResource.cloudflare.token())
                .header("Content-Type", "application/json").method(method, publisher).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** An admin call ({@code path} starts with /__standin); body is JSON or null. */
    public static HttpResponse<String> admin(String method, String path, Object body) throws Exception {
        HttpRequest.BodyPublisher publisher = body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body));
        return HTTP.send(HttpRequest.newBuilder(URI.create(EndToEndResource.cloudflare.baseUrl() + path))
                .method(method, publisher).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The stand-in's request log since the last clear, as "METHOD path" lines; cleared afterwards. */
    public static List<String> requestsAndClear() throws Exception {
        List<String> requests = new ArrayList<>();
        for (JsonNode r : adminJson("/__standin/requests").path("requests")) {
            requests.add(r.path("method").asText() + " " + r.path("path").asText());
        }
        admin("DELETE", "/__standin/requests", null);
        return requests;
    }

    /** {@code GET /__standin/<path>} as JSON. */
    public static JsonNode adminJson(String path) throws Exception {
        return JSON.readTree(admin("GET", path, null).body());
    }

    /** The cron triggers the stand-in holds for a script. */
    public static List<String> crons(String script) throws Exception {
        List<String> crons = new ArrayList<>();
        for (JsonNode entry : adminJson("/__standin/scripts").path("scripts")) {
            if (script.equals(entry.path("script").asText())) {
                entry.path("schedules").forEach(s -> crons.add(s.path("cron").asText()));
            }
        }
        return crons;
    }
}
