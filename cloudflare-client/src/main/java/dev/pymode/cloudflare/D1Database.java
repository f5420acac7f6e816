package dev.pymode.cloudflare;

public record D1Database(String uuid, String name, String version) {
}
