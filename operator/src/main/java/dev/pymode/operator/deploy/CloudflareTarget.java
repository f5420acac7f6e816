package dev.pymode.operator.deploy;

/**
 * Where and as whom a worker is deployed. The token is held only in memory; {@link #toString()} hides it.
 *
 * @param apiUrl    Cloudflare API base URL
 * @param accountId account the script lives in
 * @param apiToken  API token
 */
public record CloudflareTarget(String apiUrl, String accountId, String apiToken) {
    @Override
    public String toString() {
        return "CloudflareTarget[apiUrl=" + apiUrl + ", accountId=" + accountId + ", apiToken=<redacted>]";
    }
}
