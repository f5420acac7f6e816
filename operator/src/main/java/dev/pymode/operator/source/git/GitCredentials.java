package dev.pymode.operator.source.git;

import dev.pymode.operator.source.Fingerprints;
import dev.pymode.operator.source.SourceFailure;

/**
 * Credentials for a git remote, read from the worker's Secret. {@code toString} never shows a value; the
 * fingerprint (a hash) separates cache entries of different credentials without revealing them.
 */
public sealed interface GitCredentials {

    /** Key of the host keys in an ssh credentials Secret (Flux's convention). */
    String KNOWN_HOSTS_KEY = "known_hosts";
    /** Username sent with a bare token; GitHub (also for app tokens), GitLab, Gitea and Bitbucket accept it. */
    String TOKEN_USERNAME = "x-access-token";

    /** A hash of the values, for cache keys. */
    String fingerprint();

    /** Anonymous access. */
    record None() implements GitCredentials {
        @Override
        public String fingerprint() {
            return "anonymous";
        }
    }

    /** HTTP basic credentials (a token is the password of {@link #TOKEN_USERNAME}). */
    record Basic(String username, String password) implements GitCredentials {
        @Override
        public String fingerprint() {
            return hash("basic", username, password);
        }

        @Override
        public String toString() {
            return "Basic[username=" + username + ", password=<redacted>]";
        }
    }

    /** An ssh private key and the known_hosts lines the server's key must match. */
    record Ssh(String privateKey, String knownHosts) implements GitCredentials {
        @Override
        public String fingerprint() {
            return hash("ssh", privateKey, knownHosts);
        }

        @Override
        public String toString() {
            return "Ssh[privateKey=<redacted>, knownHosts=" + knownHosts.lines().count() + " lines]";
        }
    }

    /**
     * Reads an https/http Secret value: {@code username:password}, or a token alone. Surrounding whitespace
     * (the newline {@code echo} leaves) is dropped.
     */
    static Basic http(String value, String where) throws SourceFailure {
        String trimmed = value == null ? "" : value.strip();
        if (trimmed.isEmpty()) {
            throw SourceFailure.terminal("InvalidCredentials", where + " is empty; it must hold a token or username:password");
        }
        int colon = trimmed.indexOf(':');
        if (colon < 0) {
            return new Basic(TOKEN_USERNAME, trimmed);
        }
        if (colon == 0) {
            throw SourceFailure.terminal("InvalidCredentials", where + " has an empty username before ':'; "
                    + "use username:password or a token alone");
        }
        return new Basic(trimmed.substring(0, colon), trimmed.substring(colon + 1));
    }

    private static String hash(String... parts) {
        return Fingerprints.of(parts);
    }
}
