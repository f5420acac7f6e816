package dev.pymode.cloudflare;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Cloudflare answered with a non-2xx status or {@code success:false}. Carries the HTTP status and every error
 * code, so a caller can put e.g. {@code 10007} (not found) into a condition reason.
 */
public class CloudflareApiException extends CloudflareException {

    private final int status;
    private final List<ApiError> errors;

    public CloudflareApiException(String call, int status, List<ApiError> errors, String detail) {
        super(call, describe(status, errors, detail), null);
        this.status = status;
        this.errors = List.copyOf(errors);
    }

    private static String describe(int status, List<ApiError> errors, String detail) {
        String codes = errors.isEmpty() ? detail
                : errors.stream().map(ApiError::toString).collect(Collectors.joining("; "));
        return "HTTP " + status + ": " + codes;
    }

    public int status() {
        return status;
    }

    public List<ApiError> errors() {
        return errors;
    }

    public boolean hasErrorCode(int code) {
        return errors.stream().anyMatch(e -> e.code() == code);
    }

    /** 404, or Cloudflare's "not found" codes (10007 script/resource, 10090 service) with any status. */
    public boolean isNotFound() {
        return status == 404 || hasErrorCode(10007) || hasErrorCode(10090);
    }
}
