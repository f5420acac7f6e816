package dev.pymode.cloudflare;

/**
 * What {@link CloudflareClient#deploy} did.
 *
 * @param path       {@link Path#SCRIPT_PUT} (first deploy, or migrations pending) or {@link Path#VERSIONS}
 * @param script     the upload result for the PUT path, else null
 * @param version    the uploaded version for the versions path, else null
 * @param deployment the deployment created on the versions path, else null
 * @param versionId  the version now deployed: the uploaded version, or the one the PUT's answer names (null when
 *                   the answer names none: the script's newest deployment does)
 */
public record DeployResult(Path path, WorkerScript script, WorkerVersion version, Deployment deployment,
                           String versionId) {

    public enum Path { SCRIPT_PUT, VERSIONS }
}
