package dev.pymode.cloudflare;

public record R2Bucket(String name, String location, String creationDate) {
}
