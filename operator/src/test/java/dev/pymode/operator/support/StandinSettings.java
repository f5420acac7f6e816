package dev.pymode.operator.support;

import java.time.Duration;
import java.util.Optional;

import dev.pymode.devenv.LocalCloudflare;
import dev.pymode.operator.config.PyModeConfig;

/** The operator's Cloudflare settings pointing at a stand-in a test started itself, with the production intervals. */
public final class StandinSettings {

    private StandinSettings() {
    }

    public static PyModeConfig.Cloudflare of(LocalCloudflare standin) {
        return new PyModeConfig.Cloudflare() {
            public String apiUrl() {
                return standin.apiUrl();
            }

            public Optional<String> accountId() {
                return Optional.of(standin.accountId());
            }

            public Optional<String> apiToken() {
                return Optional.of(standin.token());
            }

            public String workersDevUrl() {
                return "https://{script}.{subdomain}.workers.dev";
            }

            public Optional<String> edgeAddress() {
                return Optional.empty();
            }

            public int bundleCacheSize() {
                return 4;
            }

            public Duration listingInterval() {
                return Duration.ofMinutes(2);
            }

            public Duration verifyInterval() {
                return Duration.ofHours(2);
            }

            public int requestsPerFiveMinutes() {
                return 1000;
            }

            public int requestBurst() {
                return 200;
            }
        };
    }
}
