package dev.pymode.operator.workflow;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * Talks to a deployed worker's workflow routes ({@code POST /workflow/run}, {@code GET /workflow/status}).
 * With an edge address (the local stand-in) the worker's workers.dev name goes in the Host header and the
 * connection goes to that address, as {@code curl --connect-to} does.
 */
public class WorkflowEndpoint {

    private static final MediaType JSON_TYPE = MediaType.get("application/json");

    private final OkHttpClient http = new OkHttpClient.Builder().callTimeout(Duration.ofSeconds(60)).build();
    private final ObjectMapper mapper;
    private final Optional<String> edgeAddress;

    public WorkflowEndpoint(ObjectMapper mapper, Optional<String> edgeAddress) {
        this.mapper = mapper;
        this.edgeAddress = edgeAddress;
    }

    /** A call to the worker failed; the message says which and why. */
    public static class WorkflowCallException extends RuntimeException {
        public WorkflowCallException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Starts (or, for a known id, returns) a run. */
    public JsonNode run(String workerUrl, String workflow, JsonNode input, String runId) {
        ObjectNode body = mapper.createObjectNode().put("workflow", workflow).put("id", runId);
        body.set("input", input == null ? mapper.nullNode() : input);
        return call(workerUrl, "/workflow/run", RequestBody.create(body.toString(), JSON_TYPE));
    }

    public JsonNode status(String workerUrl, String runId) {
        return call(workerUrl, "/workflow/status?id=" + java.net.URLEncoder.encode(runId,
                java.nio.charset.StandardCharsets.UTF_8), null);
    }

    private JsonNode call(String workerUrl, String pathAndQuery, RequestBody body) {
        URI target = URI.create(workerUrl.replaceAll("/$", "") + pathAndQuery);
        HttpUrl url = HttpUrl.get(target.toString());
        Request.Builder request = new Request.Builder();
        if (edgeAddress.isPresent()) {
            String[] hostPort = edgeAddress.get().split(":");
            url = url.newBuilder().host(hostPort[0]).port(Integer.parseInt(hostPort[1])).build();
            request.header("Host", target.getHost() + (target.getPort() > 0 ? ":" + target.getPort() : ""));
        }
        request.url(url).method(body == null ? "GET" : "POST", body);
        String call = (body == null ? "GET " : "POST ") + target.getPath();
        try (Response response = http.newCall(request.build()).execute()) {
            String text = response.body().string();
            if (!response.isSuccessful()) {
                throw new WorkflowCallException(call + " on " + target.getHost() + " answered HTTP " + response.code()
                        + ": " + abbreviate(text), null);
            }
            return mapper.readTree(text);
        } catch (IOException e) {
            throw new WorkflowCallException(call + " on " + target.getHost() + " failed: " + e.getMessage(), e);
        }
    }

    private static String abbreviate(String text) {
        return text.length() > 300 ? text.substring(0, 300) + "…" : text;
    }
}
