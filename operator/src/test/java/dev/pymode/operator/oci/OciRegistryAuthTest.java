package dev.pymode.operator.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The distribution spec's token handshake as ghcr.io, Docker Hub and Harbor run it: 401 with a Bearer
 * challenge, a pull-scoped token from the realm (with the basic credentials), the request again with the token.
 * The registry here is a stand-in speaking just that part of the protocol.
 */
class OciRegistryAuthTest {

    private static final String MANIFEST = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
            + "\"layers\":[]}";

    private HttpServer server;
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private volatile String acceptedBasic = "Basic " + b64("ada:pw");

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/token", this::token);
        server.createContext("/v2/", this::registry);
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private String host() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    private void token(HttpExchange exchange) throws java.io.IOException {
        String auth = exchange.getRequestHeaders().getFirst("Authorization");
        requests.add("token " + exchange.getRequestURI().getQuery() + " " + auth);
        if (auth != null && !auth.equals(acceptedBasic)) {
            exchange.sendResponseHeaders(401, -1);
            exchange.close();
            return;
        }
        byte[] body = "{\"token\":\"t0k\",\"expires_in\":300}".getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(200, body.length);
        exchange.getResponseBody().write(body);
        exchange.close();
    }

    private void registry(HttpExchange exchange) throws java.io.IOException {
        String auth = exchange.getRequestHeaders().getFirst("Authorization");
        requests.add(exchange.getRequestURI().getPath() + " " + auth);
        if (!"Bearer t0k".equals(auth)) {
            exchange.getResponseHeaders().add("WWW-Authenticate", "Bearer realm=\"http://" + host()
                    + "/token\",service=\"test-registry\",scope=\"repository:apps/x:pull\"");
            exchange.sendResponseHeaders(401, -1);
            exchange.close();
            return;
        }
        byte[] body = MANIFEST.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/vnd.oci.image.manifest.v1+json");
        exchange.sendResponseHeaders(200, body.length);
        exchange.getResponseBody().write(body);
        exchange.close();
    }

    @Test
    void aBearerChallengeIsAnsweredWithAPullToken() {
        var registry = new OciRegistry(host(), true, "ada", "pw", new ObjectMapper());
        var artifact = registry.find("apps/x", "v1").orElseThrow();
        assertThat(artifact.digest()).startsWith("sha256:");
        assertThat(requests).anyMatch(r -> r.startsWith("token service=test-registry&scope=repository:apps/x:pull "
                + acceptedBasic));

        requests.clear();
        registry.find("apps/x", "v1");
        assertThat(requests).as("the token is reused").containsExactly("/v2/apps/x/manifests/v1 Bearer t0k");
    }

    @Test
    void anonymousPullsGetATokenToo() {
        var registry = new OciRegistry(host(), true, null, null, new ObjectMapper());
        assertThat(registry.find("apps/x", "v1")).isPresent();
        assertThat(requests).anyMatch(r -> r.startsWith("token ") && r.endsWith(" null"));
    }

    @Test
    void refusedCredentialsAreAnAuthenticationFailure() {
        var registry = new OciRegistry(host(), true, "ada", "wrong", new ObjectMapper());
        assertThatThrownBy(() -> registry.find("apps/x", "v1"))
                .isInstanceOf(RegistryAuthenticationException.class)
                .hasMessageContaining("answered HTTP 401").hasMessageContaining("credentials were refused")
                .hasMessageNotContaining("wrong");
    }
}
