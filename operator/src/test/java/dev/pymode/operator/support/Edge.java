package dev.pymode.operator.support;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Requests to deployed workers. Their URLs are workers.dev names, which only the stand-in serves (by Host
 * header): connect to the stand-in and send the name as Host, like curl --connect-to.
 */
public final class Edge {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private Edge() {
    }

    /** `headers`: further request headers as name, value pairs. */
    public static HttpResponse<String> send(String standinBaseUrl, String workerUrl, String method, String body,
            String... headers) throws Exception {
        URI target = URI.create(workerUrl);
        URI via = URI.create(standinBaseUrl + target.getRawPath()
                + (target.getRawQuery() == null ? "" : "?" + target.getRawQuery()));
        HttpRequest.Builder request = HttpRequest.newBuilder(via).timeout(Duration.ofSeconds(60))
                .header("Host", target.getHost())
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
