package dev.pymode.operator.source.git;

import java.util.regex.Pattern;

/** Git URLs as they may appear in status, events and logs: without user info on http(s) (a token can hide there). */
public final class GitUrls {

    private static final Pattern HTTP_USERINFO = Pattern.compile("(?i)(https?://)[^/@\\s]+@");

    private GitUrls() {
    }

    static String display(String url) {
        return scrub(url);
    }

    /** Removes http(s) user info from any text (JGit messages quote the URL they were given). */
    static String scrub(String text) {
        return text == null ? null : HTTP_USERINFO.matcher(text).replaceAll("$1***@");
    }

    public static boolean isSsh(String url) {
        return url.startsWith("ssh://");
    }
}
