package dev.pymode.operator.deploy;

import dev.pymode.operator.api.v1alpha1.worker.PyModeWorker;
import dev.pymode.operator.config.PyModeConfig;
import dev.pymode.operator.kube.SecretValues;

/** Resolves a worker's account and token: its spec first, then the operator's defaults. */
public class CloudflareTargets {

    private final PyModeConfig.Cloudflare defaults;
    private final SecretValues secrets;

    public CloudflareTargets(PyModeConfig.Cloudflare defaults, SecretValues secrets) {
        this.defaults = defaults;
        this.secrets = secrets;
    }

    /** Raised when no account or token is configured anywhere. */
    public static class NotConfiguredException extends RuntimeException {
        public NotConfiguredException(String message) {
            super(message);
        }
    }

    public CloudflareTarget resolve(PyModeWorker worker) {
        var spec = worker.getSpec().getCloudflare();
        String account = spec != null && spec.getAccountId() != null ? spec.getAccountId()
                : defaults.accountId().orElseThrow(() -> new NotConfiguredException(
                        "no Cloudflare account: set spec.cloudflare.accountId or the operator's pymode.cloudflare.account-id"));
        String token;
        if (spec != null && spec.getApiTokenSecretRef() != null) {
            token = secrets.read(worker.getMetadata().getNamespace(), spec.getApiTokenSecretRef()).value();
        } else {
            token = defaults.apiToken().orElseThrow(() -> new NotConfiguredException(
                    "no Cloudflare API token: set spec.cloudflare.apiTokenSecretRef or the operator's "
                            + "pymode.cloudflare.api-token"));
        }
        return new CloudflareTarget(defaults.apiUrl(), account, token);
    }
}
