package dev.pymode.cloudflare;

import java.util.Objects;

/**
 * A JWT of the static-assets protocol: a session's upload token or the completion token an upload's metadata
 * redeems. Both are secrets (the OpenAPI file marks them {@code x-sensitive}), so the value is only readable inside
 * this package and never printed.
 */
public final class AssetsToken {

    private final String value;

    AssetsToken(String value) {
        this.value = Objects.requireNonNull(value, "value");
    }

    String value() {
        return value;
    }

    @Override
    public String toString() {
        return "AssetsToken[<redacted>]";
    }
}
