package dev.pymode.cloudflare;

/**
 * What {@link CloudflareClient#uploadAssets} did.
 *
 * @param completion the token the Worker upload's metadata redeems ({@code assets.jwt})
 * @param files      assets in the manifest
 * @param uploaded   assets the account lacked and that were sent (the others it already held)
 * @param requests   upload requests made (one per bucket), besides the session
 */
public record AssetsUpload(AssetsToken completion, int files, int uploaded, int requests) {

    static final String SESSION_CALL = "POST workers/scripts/{script}/assets-upload-session";
    static final String UPLOAD_CALL = "POST workers/assets/upload";

    /**
     * Whether a {@link CloudflareException#call()} is a bucket upload, authorised by its session's token, not the API
     * token: a 401 there says the session is spent, not that the API token is wrong.
     */
    public static boolean isBucketUpload(String call) {
        return UPLOAD_CALL.equals(call);
    }

    /** Whether a {@link CloudflareException#call()} is a call of the static-assets step. */
    public static boolean isAssetsCall(String call) {
        return SESSION_CALL.equals(call) || UPLOAD_CALL.equals(call);
    }
}
