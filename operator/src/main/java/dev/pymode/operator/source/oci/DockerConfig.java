package dev.pymode.operator.source.oci;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pymode.operator.source.SourceFailure;

/**
 * Registry credentials from a {@code kubernetes.io/dockerconfigjson} Secret ({@code .dockerconfigjson}, as
 * {@code kubectl create secret docker-registry} writes it): the {@code auths} entry whose key names the
 * registry host, with or without scheme and path ({@code https://index.docker.io/v1/} style keys match too).
 */
public final class DockerConfig {

    public static final String KEY = ".dockerconfigjson";
    public static final String TYPE = "kubernetes.io/dockerconfigjson";

    private static final Set<String> DOCKER_HUB = Set.of("docker.io", "index.docker.io", "registry-1.docker.io");

    private DockerConfig() {
    }

    /** A registry user and password (or token); {@code toString} hides the password. */
    public record Credentials(String username, String password) {
        @Override
        public String toString() {
            return "Credentials[username=" + username + ", password=<redacted>]";
        }
    }

    /**
     * @param where names the Secret in messages
     * @return empty when the config has no entry for {@code host}
     */
    public static Optional<Credentials> credentialsFor(String json, String host, String where, ObjectMapper mapper)
            throws SourceFailure {
        JsonNode auths;
        try {
            auths = mapper.readTree(json).path("auths");
        } catch (Exception e) {
            throw SourceFailure.terminal("InvalidCredentials", where + " is not docker config JSON ("
                    + e.getClass().getSimpleName() + ")");
        }
        String wanted = normalize(host);
        for (Iterator<Map.Entry<String, JsonNode>> it = auths.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            if (!normalize(entry.getKey()).equals(wanted)) {
                continue;
            }
            JsonNode auth = entry.getValue();
            String username = auth.path("username").asText("");
            String password = auth.path("password").asText("");
            String encoded = auth.path("auth").asText("");
            if (!encoded.isEmpty()) {
                String decoded;
                try {
                    decoded = new String(Base64.getDecoder().decode(encoded.strip()), StandardCharsets.UTF_8);
                } catch (IllegalArgumentException e) {
                    throw SourceFailure.terminal("InvalidCredentials", where + ": the 'auth' of " + entry.getKey()
                            + " is not base64");
                }
                int colon = decoded.indexOf(':');
                if (colon <= 0) {
                    throw SourceFailure.terminal("InvalidCredentials", where + ": the 'auth' of " + entry.getKey()
                            + " must encode username:password");
                }
                username = decoded.substring(0, colon);
                password = decoded.substring(colon + 1);
            }
            if (username.isEmpty()) {
                String kind = auth.has("identitytoken") ? " (identity tokens are not supported; use a username "
                        + "and password or access token)" : "";
                throw SourceFailure.terminal("InvalidCredentials", where + ": the entry for " + entry.getKey()
                        + " has no username and password" + kind);
            }
            return Optional.of(new Credentials(username, password));
        }
        return Optional.empty();
    }

    /** {@code https://Index.Docker.io/v1/} → {@code docker.io}; {@code host:5000} stays. */
    static String normalize(String key) {
        String host = key.strip().toLowerCase(Locale.ROOT).replaceFirst("^[a-z]+://", "");
        int slash = host.indexOf('/');
        if (slash >= 0) {
            host = host.substring(0, slash);
        }
        return DOCKER_HUB.contains(host) ? "docker.io" : host;
    }
}
