package dev.pymode.cloudflare;

/** One {@code {code, message}} item of a Cloudflare envelope's {@code errors}. */
public record ApiError(int code, String message) {

    @Override
    public String toString() {
        return code + " " + message;
    }
}
