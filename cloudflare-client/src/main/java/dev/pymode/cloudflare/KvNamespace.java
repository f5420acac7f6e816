package dev.pymode.cloudflare;

public record KvNamespace(String id, String title) {
}
