package dev.pymode.cloudflare;

public record WorkerVersion(String id, long number, String createdOn) {
}
