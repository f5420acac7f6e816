package dev.pymode.operator.source.git;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.Locale;

import javax.net.ssl.SSLHandshakeException;

import dev.pymode.operator.source.SourceFailure;
import org.eclipse.jgit.errors.NoRemoteRepositoryException;

/**
 * Names what went wrong talking to a git server. JGit reports HTTP statuses and ssh refusals only as
 * exception types and message texts; the texts matched here are JGit's own (JGitText/SshdText, English), and
 * the tests against a real git server pin them.
 */
final class GitErrors {

    /** HTTP 403 as a status in a message, not digits inside an address or a number. */
    private static final java.util.regex.Pattern HTTP_403 = java.util.regex.Pattern.compile("(?<![\\d.:])403(?![\\d.])");

    private GitErrors() {
    }

    /**
     * @param where          the repository (URL without credentials)
     * @param hasCredentials whether credentials were sent
     * @param hostKeyRefusal why an ssh host key was refused, or null
     */
    static SourceFailure classify(Throwable error, String where, boolean hasCredentials, String hostKeyRefusal) {
        String detail = detail(error, where);
        // Without the repository's address: a URL holding "403" (a port such as :40312) read as HTTP 403.
        String text = chainText(error).replace(where.toLowerCase(Locale.ROOT), "");
        if (hostKeyRefusal != null) {
            return SourceFailure.terminal("HostKeyVerificationFailed", where + ": " + hostKeyRefusal
                    + "; add the server's key to known_hosts in the credentials Secret (ssh-keyscan)");
        }
        if (has(error, NoRemoteRepositoryException.class) || text.contains("does not appear to be a git repository")) {
            return SourceFailure.terminal("RepositoryNotFound", "repository " + where + " not found ("
                    + (where.startsWith("http") ? "HTTP 404" : detail) + "): check the url");
        }
        if (text.contains("not authorized") || text.contains("authentication is required")
                || text.contains("no more authentication methods") || text.contains("auth fail")
                || text.contains("authentication failed") || text.contains("cannot log in")) {
            boolean ssh = where.startsWith("ssh://");
            return SourceFailure.terminal("AuthenticationFailed", !hasCredentials
                    ? where + " requires authentication (HTTP 401); set credentialsSecretRef"
                    : ssh ? where + " refused the ssh key of credentialsSecretRef (publickey authentication failed)"
                    : where + " refused the credentials of credentialsSecretRef (HTTP 401)");
        }
        if (text.contains("not permitted") || HTTP_403.matcher(text).find()) {
            return SourceFailure.terminal("AuthenticationFailed", where + " denied access (HTTP 403)"
                    + (hasCredentials ? ": the credentials have no read access to it" : "; set credentialsSecretRef"));
        }
        if (has(error, SSLHandshakeException.class)) {
            return SourceFailure.terminal("TlsVerificationFailed", where + ": the server's TLS certificate is not trusted ("
                    + detail + ")");
        }
        if (has(error, UnknownHostException.class)) {
            return SourceFailure.unavailable("SourceUnavailable", where + " is unreachable: unknown host (" + detail
                    + ")", error);
        }
        if (has(error, ConnectException.class) || has(error, NoRouteToHostException.class)
                || has(error, SocketTimeoutException.class) || text.contains("connection refused")
                || text.contains("timed out") || text.contains("timeout")) {
            return SourceFailure.unavailable("SourceUnavailable", where + " is unreachable (" + detail + ")", error);
        }
        return SourceFailure.unavailable("SourceUnavailable", where + " failed: " + detail, error);
    }

    /** The outermost message without the URI prefix JGit puts in front, and the root cause's if it differs. */
    static String detail(Throwable error, String where) {
        Throwable root = error;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String outer = clean(error.getMessage(), where);
        String inner = clean(root.getMessage(), where);
        String message = outer.isEmpty() ? inner
                : inner.isEmpty() || outer.contains(inner) ? outer : outer + ": " + inner;
        if (message.isEmpty()) {
            message = root.getClass().getSimpleName();
        }
        return message.length() > 300 ? message.substring(0, 300) + "…" : message;
    }

    private static String clean(String message, String where) {
        return message == null ? "" : GitUrls.scrub(message).replace(where + ": ", "").replace(where, "").strip();
    }

    private static String chainText(Throwable error) {
        StringBuilder text = new StringBuilder();
        for (Throwable t = error; t != null; t = t.getCause()) {
            text.append(' ').append(t.getMessage());
        }
        return text.toString().toLowerCase(Locale.ROOT);
    }

    private static boolean has(Throwable error, Class<? extends Throwable> type) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }
}
