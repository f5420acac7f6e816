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
 * Talks to a deployed worker's workflow routes ({@code POST /workflow/run}, {@code GET /workflow/status},
 * {@code GET /workflow/runs}), with the worker's bearer token when it has one ({@code PYMODE_WORKFLOW_TOKEN}).
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

    /** A worker's address and, when it has one, its workflow token. */
    public record Target(String url, Optional<String> token) {
        @Override
        public String toString() {
            return "Target[" + url + (token.isPresent() ? ", <token>" : "") + "]";
        }
    }

    /** What a run starts with (the body of {@code POST /workflow/run}). */
    public record RunRequest(String workflow, String id, JsonNode input, String concurrency,
                             ScheduleEntry.RunRetry retry, String trigger) {
    }

    /** Starts (or, for a known id, returns) a run: {@code {"id", "state"}}, state "skipped" when Forbid held it. */
    public JsonNode run(Target target, RunRequest run) {
        ObjectNode body = mapper.valueToTree(run);
        body.set("input", run.input() == null ? mapper.nullNode() : run.input());
        if (run.retry() == null) {
            body.remove("retry");
        }
        return call(target, "/workflow/run", RequestBody.create(body.toString(), JSON_TYPE));
    }

    public JsonNode status(Target target, String runId) {
        return call(target, "/workflow/status?id=" + encode(runId), null);
    }

    /** The newest runs of a workflow (status documents, newest first). */
    public JsonNode runs(Target target, String workflow, int limit) {
        return call(target, "/workflow/runs?workflow=" + encode(workflow) + "&limit=" + limit, null).path("runs");
    }

    private static String encode(String value) {
        return java.net.URLEncoder.encode(value, java.nio.charset.StandardCharsets.UTF_8);
    }

    private JsonNode call(Target worker, String pathAndQuery, RequestBody body) {
        String workerUrl = worker.url();
        URI target = URI.create(workerUrl.replaceAll("/$", "") + pathAndQuery);
        HttpUrl url = HttpUrl.get(target.toString());
        Request.Builder request = new Request.Builder();
        if (edgeAddress.isPresent()) {
            String[] hostPort = edgeAddress.get().split(":");
            url = url.newBuilder().host(hostPort[0]).port(Integer.parseInt(hostPort[1])).build();
            request.header("Host", target.getHost() + (target.getPort() > 0 ? ":" + target.getPort() : ""));
        }
        worker.token().ifPresent(token -> request.header("Authorization", "Bearer " + token));
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
