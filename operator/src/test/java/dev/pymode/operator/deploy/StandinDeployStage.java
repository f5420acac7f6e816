package dev.pymode.operator.deploy;

import java.nio.file.Files;
import java.time.Clock;
import java.util.function.Function;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pymode.cloudflare.ApiObserver;
import dev.pymode.cloudflare.RateLimiter;
import dev.pymode.devenv.LocalCloudflare;
import dev.pymode.operator.config.PyModeConfig;
import dev.pymode.operator.events.EventRecorder;
import dev.pymode.operator.inventory.AccountInventories;
import dev.pymode.operator.inventory.AccountInventory;
import dev.pymode.operator.kube.SecretValues;
import dev.pymode.operator.support.StandinSettings;

/**
 * The Deployed stage against a Cloudflare stand-in of its own, with the bundles the test hands over by digest (no
 * registry) and the events it records; closing it stops the clients and the stand-in.
 */
record StandinDeployStage(LocalCloudflare cloudflare, CloudflareClients clients, CloudflareTargets targets,
                          AccountInventories inventories, WorkerDeployStage stage) implements AutoCloseable {

    static StandinDeployStage start(String account, String token, Function<String, BundleStore.Bundle> bundleByDigest,
                                    EventRecorder events) throws Exception {
        LocalCloudflare cloudflare = new LocalCloudflare(Files.createTempDirectory(token), account, token).start();
        Clock clock = Clock.systemUTC();
        PyModeConfig.Cloudflare settings = StandinSettings.of(cloudflare);
        CloudflareClients clients = new CloudflareClients(clock, RateLimiter.cloudflareDefaults(clock), ApiObserver.NONE);
        ObjectMapper json = new ObjectMapper();
        BundleStore bundles = new BundleStore(null, json, 4) {
            @Override
            public Bundle load(String repository, String digest) {
                return bundleByDigest.apply(digest);
            }
        };
        CloudflareTargets targets = new CloudflareTargets(settings, new SecretValues(null));
        AccountInventories inventories = new AccountInventories(settings.listingInterval(), clock);
        WorkerDeployStage stage = new WorkerDeployStage(targets, clients, inventories, bundles,
                new WorkerUploadFactory(json), new SecretValues(null), settings, events, clock);
        return new StandinDeployStage(cloudflare, clients, targets, inventories, stage);
    }

    /** The account listings the stage reads for this worker (shared by every worker of its account). */
    AccountInventory inventory(dev.pymode.operator.api.v1alpha1.worker.PyModeWorker worker) {
        CloudflareTarget target = targets.resolve(worker);
        return inventories.of(clients.forTarget(target), target.accountId());
    }

    @Override
    public void close() throws Exception {
        clients.close();
        cloudflare.close();
    }
}
