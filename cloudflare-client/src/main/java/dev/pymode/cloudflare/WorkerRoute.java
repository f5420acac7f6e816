package dev.pymode.cloudflare;

/** A zone route: requests matching {@code pattern} run {@code script}. */
public record WorkerRoute(String id, String pattern, String script) {
}
