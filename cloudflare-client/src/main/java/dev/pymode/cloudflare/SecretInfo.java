package dev.pymode.cloudflare;

/** A secret as listed: Cloudflare never returns the value. */
public record SecretInfo(String name, String type) {
}
