package dev.pymode.operator.deploy;

import java.nio.charset.StandardCharsets;
import java.util.List;

import dev.pymode.cloudflare.Binding;
import dev.pymode.cloudflare.CloudflareApiException;
import dev.pymode.cloudflare.CloudflareClient;
import dev.pymode.cloudflare.ModuleType;
import dev.pymode.cloudflare.StaticAssets;
import dev.pymode.cloudflare.WorkerScript;
import dev.pymode.cloudflare.WorkerUpload;
import dev.pymode.operator.inventory.AccountInventory;

/**
 * The script of an account that serves one set of static assets (a bundle's stdlib, issue #13) to every worker whose
 * bundle holds the same files (issue #18). A worker binds it as a service under the bundle's assets binding name
 * instead of carrying the files itself: Cloudflare ties static assets to a script, so each worker with its own would
 * open an assets-upload session per deploy (a third call for every new worker on top of its upload and workers.dev,
 * which put a 1,000-worker converge beyond the account's rate limit for ten minutes). The runtime reads the files
 * with the binding's {@code fetch} either way.
 *
 * <p>The name is made from the files and their config, so equal sets share one script in an account, a changed set
 * is a new script, and a worker's upload names the set it reads. The operator never deletes one: workers of other
 * clusters deployed to the same account may read it (docs/operations.md "Shared assets scripts").
 *
 * @param binding the name the worker's code reads the files through
 * @param script  the shared script's name
 */
public record SharedAssetsScript(String binding, String script, StaticAssets files) {

    static final String PREFIX = "pymode-assets-";
    /** The tag that marks a script as one of these in the dashboard and listings. */
    static final String TAG = "pymode-shared-assets";
    private static final String MODULE = "serve-assets.js";
    private static final String ASSETS_BINDING = "ASSETS";
    /** The serving module touches nothing that depends on the date; a fixed one keeps the upload the same. */
    private static final String COMPATIBILITY_DATE = "2025-04-01";
    /** Hands every request to the script's own assets (run_worker_first or not, the answer is the asset or 404). */
    private static final byte[] SERVE = ("export default {\n"
            + "  fetch(request, env) {\n"
            + "    return env." + ASSETS_BINDING + ".fetch(request);\n"
            + "  },\n"
            + "};\n").getBytes(StandardCharsets.UTF_8);

    /** The shared script for a bundle's assets. */
    public static SharedAssetsScript of(BundleAssets.Assets assets) {
        return new SharedAssetsScript(assets.binding(), nameOf(assets.files()), assets.files());
    }

    /**
     * {@code pymode-assets-} and 16 hex digits of the script's upload content hash ({@link WorkerUpload#contentHash}:
     * its module, settings, and the files' manifest and config).
     */
    static String nameOf(StaticAssets files) {
        String hash = upload(files).contentHash();
        return PREFIX + hash.substring(hash.indexOf(':') + 1, hash.indexOf(':') + 17);
    }

    /** The binding a worker's upload carries instead of the files. */
    public Binding workerBinding() {
        return new Binding.Service(binding, script, null);
    }

    /**
     * Makes sure the account holds this script: no call when its shared listing shows it; otherwise one upload
     * (assets session, the buckets the account lacks, the PUT) and workers.dev turned off (the files are for its
     * workers, not a public URL), which concurrent callers wait for instead of repeating.
     */
    public WorkerScript ensure(CloudflareClient client, AccountInventory inventory) {
        return inventory.scriptOrUpload(script, () -> {
            String account = inventory.account();
            WorkerScript made = upload(client, inventory);
            client.setScriptSubdomain(account, script, false);
            return made;
        });
    }

    /**
     * The PUT. Refused after the client repeated it (the first attempt's answer lost: a timeout, a proxy's 502), the
     * repeat carried a completion token the first attempt spent; then a listing read now tells whether that first
     * attempt made the script.
     */
    private WorkerScript upload(CloudflareClient client, AccountInventory inventory) {
        try {
            return client.uploadScript(inventory.account(), script, upload(), null, List.of(TAG))
                    .asListed(script, List.of(TAG));
        } catch (CloudflareApiException e) {
            if (e.status() >= 500) {
                throw e;
            }
            return inventory.scriptListedNow(script).filter(listed -> listed.tags().contains(TAG)).orElseThrow(() -> e);
        }
    }

    WorkerUpload upload() {
        return upload(files);
    }

    private static WorkerUpload upload(StaticAssets files) {
        return WorkerUpload.builder(MODULE).module(MODULE, ModuleType.ESM, SERVE)
                .binding(new Binding.Assets(ASSETS_BINDING)).assets(files)
                .compatibilityDate(COMPATIBILITY_DATE).build();
    }
}
