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
}
