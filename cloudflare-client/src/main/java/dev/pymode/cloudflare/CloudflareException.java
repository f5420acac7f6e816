package dev.pymode.cloudflare;

/**
 * Any failure of a Cloudflare call. The message always starts with the call's name (e.g.
 * {@code PUT workers/scripts/{script}}) and never carries the API token, request bodies or secret values.
 */
public class CloudflareException extends RuntimeException {

    private final String call;

    public CloudflareException(String call, String message, Throwable cause) {
        super(call + ": " + message, cause);
        this.call = call;
    }

    /** The call's name: HTTP method plus the path template, without the {@code accounts/{account}/} prefix. */
    public String call() {
        return call;
    }
}
