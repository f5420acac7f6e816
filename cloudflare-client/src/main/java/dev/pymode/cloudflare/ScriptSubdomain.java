package dev.pymode.cloudflare;

/** Whether a script is served on {@code <script>.<account subdomain>.workers.dev} (and its preview URLs). */
public record ScriptSubdomain(boolean enabled, boolean previewsEnabled) {
}
