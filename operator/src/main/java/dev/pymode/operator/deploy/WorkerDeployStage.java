package dev.pymode.operator.deploy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

import dev.pymode.cloudflare.AssetsUpload;
import dev.pymode.cloudflare.BindingDrift;
import dev.pymode.cloudflare.CloudflareApiException;
import dev.pymode.cloudflare.CloudflareClient;
import dev.pymode.cloudflare.CloudflareException;
import dev.pymode.cloudflare.DeployResult;
import dev.pymode.cloudflare.Deployment;
import dev.pymode.cloudflare.RateLimitedException;
import dev.pymode.cloudflare.ScriptSettings;
import dev.pymode.cloudflare.WorkerScript;
import dev.pymode.cloudflare.WorkerUpload;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorker;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorkerStatus;
import dev.pymode.operator.api.v1alpha1.worker.WorkerBindings;
import dev.pymode.operator.api.v1alpha1.worker.WorkerDeployment;
import dev.pymode.operator.api.v1alpha1.worker.WorkerSchedule;
import dev.pymode.operator.bindings.BindingKinds;
import dev.pymode.operator.config.PyModeConfig;
import dev.pymode.operator.events.EventRecorder;
import dev.pymode.operator.failure.Backoff;
import dev.pymode.operator.failure.FailureClassifier;
import dev.pymode.operator.inventory.AccountInventories;
import dev.pymode.operator.inventory.AccountInventory;
import dev.pymode.operator.kube.SecretValues;
import dev.pymode.operator.oci.RegistryUnavailableException;
import dev.pymode.operator.status.ConditionTypes;
import dev.pymode.operator.status.Conditions;
import dev.pymode.operator.status.StageResult;
import dev.pymode.operator.workflow.ScheduleEntry;
import dev.pymode.operator.workflow.WorkerSchedules;

/**
 * The {@code Deployed} stage: make the account hold what the worker asks for, spending Cloudflare calls only
 * where something may have changed (issue #18, docs/operations.md "Cloudflare API budget"):
 * <ul>
 * <li>steady state: the worker's inputs digest is unchanged and the account-wide script listing (shared by all
 * workers of the account, {@link AccountInventory}) shows the script as last seen: no call at all;</li>
 * <li>verification (the listing shows a change, the inputs changed, or the verify interval ran out): the upload is
 * rebuilt and its digest compared; bindings changed outside the operator are put back (with an event), and
 * workers.dev, routes and cron triggers are made to follow the spec;</li>
 * <li>adoption: a script whose tag carries this upload's digest already runs it, so a worker without status
 * (restored cluster, re-applied resource) takes it over without an upload;</li>
 * <li>otherwise the bundle is uploaded and deployed, and the script tagged with the digest.</li>
 * </ul>
 * Resources are found or created through the shared listings. Cloudflare errors name the call and the API's
 * error codes.
 */
public class WorkerDeployStage {

    private static final Duration RETRY = Duration.ofSeconds(15);
    /** The reason when the static-assets step (session or bucket upload) failed; 4xx stalls, 5xx retries. */
    static final String ASSETS_UPLOAD_FAILED = "AssetsUploadFailed";
    private static final Duration SECRET_RECHECK = Duration.ofSeconds(30);

    private final CloudflareTargets targets;
    private final CloudflareClients clients;
    private final AccountInventories inventories;
    private final Duration verifyInterval;
    private final BundleStore bundles;
    private final WorkerUploadFactory uploads;
    private final CronTriggerSync cronTriggers;
    private final RouteSync routes;
    private final SecretValues secrets;
    private final PyModeConfig.Cloudflare settings;
    private final EventRecorder events;
    private final Clock clock;

    public WorkerDeployStage(CloudflareTargets targets, CloudflareClients clients, AccountInventories inventories,
                             BundleStore bundles, WorkerUploadFactory uploads, SecretValues secrets,
                             PyModeConfig.Cloudflare settings, EventRecorder events, Clock clock) {
        this.inventories = inventories;
        this.verifyInterval = settings.verifyInterval();
        this.cronTriggers = new CronTriggerSync(events);
        this.routes = new RouteSync(events);
        this.targets = targets;
        this.clients = clients;
        this.bundles = bundles;
        this.uploads = uploads;
        this.secrets = secrets;
        this.settings = settings;
        this.events = events;
        this.clock = clock;
    }

    /** @param schedules what the script's cron triggers start (from the worker's PyModeWorkflows) */
    public StageResult run(PyModeWorker worker, PyModeWorkerStatus status, List<ScheduleEntry> schedules) {
        try (Sequence sequence = new Sequence()) {
            return deploy(worker, status, schedules, sequence);
        } catch (InvalidDeployInputException e) {
            events.warning(worker, e.reason(), e.getMessage());
            return StageResult.terminalFailure(ConditionTypes.DEPLOYED, e.reason(), e.getMessage());
        } catch (CloudflareTargets.NotConfiguredException e) {
            return StageResult.terminalFailure(ConditionTypes.DEPLOYED, "CloudflareNotConfigured", e.getMessage());
        } catch (SecretValues.MissingSecretException e) {
            return StageResult.progressing(ConditionTypes.DEPLOYED, "SecretNotFound", e.getMessage(), SECRET_RECHECK);
        } catch (RateLimitedException e) {
            // Retry-After decides; the jitter spreads the workers of one account over the moment it ends
            Duration wait = Duration.between(clock.instant(), e.retryAt());
            return StageResult.transientFailure(ConditionTypes.DEPLOYED, "RateLimited", e.getMessage(),
                    Backoff.whileFailingFor(Duration.ofSeconds(1), wait, worker.scriptName()));
        } catch (CloudflareApiException e) {
            FailureClassifier.Failure failure = FailureClassifier.ofCloudflareStatus(e.status(), e.getMessage());
            String reason = AssetsUpload.isAssetsCall(e.call()) ? ASSETS_UPLOAD_FAILED : failure.reason();
            events.warning(worker, reason, e.getMessage());
            // a bucket upload's 401 is about its session's token (spent, expired), never the API token: a new pass
            // starts a new session
            boolean spentSession = e.status() == 401 && AssetsUpload.isBucketUpload(e.call());
            return failure.terminal() && !spentSession
                    ? StageResult.terminalFailure(ConditionTypes.DEPLOYED, reason, failure.line())
                    : StageResult.transientFailure(ConditionTypes.DEPLOYED, reason, failure.line(),
                    retry(worker, status));
        } catch (CloudflareException e) {
            return StageResult.transientFailure(ConditionTypes.DEPLOYED,
                    AssetsUpload.isAssetsCall(e.call()) ? ASSETS_UPLOAD_FAILED : "CloudflareUnavailable", e.getMessage(),
                    retry(worker, status));
        } catch (RegistryUnavailableException e) {
            return StageResult.transientFailure(ConditionTypes.DEPLOYED, "RegistryUnavailable", e.getMessage(),
                    retry(worker, status));
        }
    }

    /**
     * The wait before the next deploy attempt after a transient failure: as long as Deployed has been failing
     * (waits about double), jittered. The client has already retried within the call.
     */
    private Duration retry(PyModeWorker worker, PyModeWorkerStatus status) {
        Duration failingFor = Conditions.find(status.getConditions(), ConditionTypes.DEPLOYED)
                .filter(c -> "False".equals(c.getStatus()) && c.getLastTransitionTime() != null)
                .map(c -> Duration.between(Instant.parse(c.getLastTransitionTime()), clock.instant()))
                .orElse(Duration.ZERO);
        return Backoff.whileFailingFor(RETRY, failingFor, worker.scriptName());
    }

    /**
     * What the account shows for this worker against what its last deploy recorded, from the account's shared
     * listings (no call of the worker's own), with the digest of the inputs the deploy would send.
     */
    private record Observation(String account, String script, AccountInventory inventory, CloudflareClient client,
                               BindingKinds.Resolved resources, Map<String, String> secretValues,
                               String secretsFingerprint, String inputs, WorkerDeployment current,
                               boolean sameScript, Optional<WorkerScript> remote) {
    }

    private StageResult deploy(PyModeWorker worker, PyModeWorkerStatus status, List<ScheduleEntry> schedules,
                               Sequence sequence) {
        Observation observed = observe(worker, status, schedules);
        if (steadyState(worker, observed)) {
            // nothing to send and nothing to read (the listing is the account's, shared)
            return upToDate(observed.current());
        }
        return verifyOrDeploy(worker, status, schedules, observed, sequence);
    }

    private Observation observe(PyModeWorker worker, PyModeWorkerStatus status, List<ScheduleEntry> schedules) {
        CloudflareTarget target = targets.resolve(worker);
        CloudflareClient shared = clients.forTarget(target);
        String account = target.accountId();
        String script = worker.scriptName();
        // listings serve every worker of the account; the worker's own calls count against its namespace's share
        AccountInventory inventory = inventories.of(shared, account);
        CloudflareClient client = shared.forTenant(worker.getMetadata().getNamespace());

        WorkerBindings bindings = worker.getSpec().getBindings() == null ? new WorkerBindings()
                : worker.getSpec().getBindings();
        BindingKinds.Resolved resources = BindingKinds.resolve(inventory, bindings);
        Map<String, String> secretValues = new LinkedHashMap<>();
        for (var secret : bindings.getSecrets()) {
            secretValues.put(secret.getName(),
                    secrets.read(worker.getMetadata().getNamespace(), secret.getSecretKeyRef()).value());
        }
        String secretsFingerprint = DeployDigests.secrets(target.apiToken(), secretValues);
        String inputs = DeployDigests.inputs(worker.getMetadata().getGeneration(), status.getArtifact().getDigest(),
                resources, secretsFingerprint, schedules, QueueConsumers.desired(script, worker.getSpec()));

        WorkerDeployment current = status.getDeployment();
        boolean sameScript = current != null && script.equals(current.getScriptName())
                && account.equals(current.getAccountId());
        Optional<WorkerScript> remote = inventory.script(script, Instant.MIN);
        if (sameScript && remote.isEmpty()) {
            // a listing may predate the script's own upload only if it was read elsewhere; look once more
            remote = inventory.script(script, clock.instant());
        }
        return new Observation(account, script, inventory, client, resources, secretValues, secretsFingerprint,
                inputs, current, sameScript, remote);
    }

    /**
     * The script is as last deployed, for the same inputs, and no periodic verification is due
     * ({@link DeployPlan#steady}; its shared assets script and queue consumers, from listings, are asked last).
     */
    private boolean steadyState(PyModeWorker worker, Observation observed) {
        WorkerDeployment current = observed.current();
        var spec = worker.getSpec();
        return DeployPlan.steady(current, observed.sameScript(), observed.remote(), observed.inputs(),
                observed.sameScript() && DeployPlan.verificationDue(current, observed.script(), verifyInterval,
                        clock.instant()),
                () -> sharedAssetsListed(current, observed.inventory()) && (spec.getQueueConsumers().isEmpty()
                        || QueueConsumers.inPlace(observed.inventory(), observed.script(), spec)));
    }

    /** The shared assets script the worker binds, if any, is in the account's listing (deleted by hand: not). */
    private static boolean sharedAssetsListed(WorkerDeployment current, AccountInventory inventory) {
        return current.getAssetsScript() == null || inventory.script(current.getAssetsScript(), Instant.MIN).isPresent();
    }

    /** Verification (bindings drift, adoption) or a new deploy, then workers.dev, routes, crons and consumers. */
    private StageResult verifyOrDeploy(PyModeWorker worker, PyModeWorkerStatus status, List<ScheduleEntry> schedules,
                                       Observation observed, Sequence sequence) {
        String account = observed.account();
        String script = observed.script();
        var spec = worker.getSpec();
        AccountInventory inventory = observed.inventory();
        BindingKinds.Resolved resources = observed.resources();
        Map<String, String> secretValues = observed.secretValues();
        String secretsFingerprint = observed.secretsFingerprint();
        String artifactDigest = status.getArtifact().getDigest();
        String inputs = observed.inputs();
        WorkerDeployment current = observed.current();
        boolean sameScript = observed.sameScript();
        Optional<WorkerScript> remote = observed.remote();

        int percentage = spec.getCloudflare() != null && spec.getCloudflare().getRollout() != null
                ? spec.getCloudflare().getRollout().getPercentage() : 100;
        String ref = status.getArtifact().getRef();
        String repository = ref.substring(ref.indexOf('/') + 1, ref.indexOf('@'));
        BundleStore.Bundle bundle = bundles.load(repository, artifactDigest);
        String message = "pymode " + artifactDigest.substring(0, 19);
        Optional<SharedAssetsScript> assets = WorkerUploadFactory.sharedAssets(bundle);
        WorkerUpload upload = uploads.build(bundle, assets, spec, resources, secretValues, schedules, message);
        String digest = DeployDigests.upload(upload, secretsFingerprint, percentage);

        DeployPlan.UploadCheck check = DeployPlan.UploadCheck.of(current, sameScript, remote, digest);
        // What follows is a sequence of calls (verification or deploy). Its permits are taken at once: on a spent
        // budget it waits before its first call instead of being refused half-way and starting over.
        // "deploy" names the sequence in metrics: a kind of call sequence, never a script (one series per worker otherwise)
        CloudflareClient client = sequence.reserve(observed.client(), "deploy", account, check.permits());
        // Cloudflare refuses a service binding to a script it lacks; the listing shows it after the first worker
        // of the account (or puts it back when it was deleted by hand)
        assets.ifPresent(shared -> shared.ensure(client, inventory));
        String assetsScript = assets.map(SharedAssetsScript::script).orElse(null);
        boolean deployedByUs = check.deployedByUs();
        boolean carriesDigest = check.carriesDigest();
        Optional<ScriptSettings> remoteSettings = check.verifyInsteadOfUpload()
                ? settingsIfPresent(client, account, script) : Optional.empty();
        if (remoteSettings.isPresent()) {
            BindingDrift drift = BindingDrift.between(upload.bindings(), remoteSettings.get().bindings());
            if (drift.none()) {
                WorkerDeployment deployment = deployedByUs ? current : adopted(client, account, script, digest);
                deployment.setAssetsScript(assetsScript);
                // an upload recorded before the call that names its version was refused
                nameDeployedVersion(client, account, script, deployment);
                if (!carriesDigest) {
                    // the tag that lets a worker without status adopt this script; a refused call left it unset
                    client.setScriptTags(account, script, tagged(remote, digest));
                }
                deployment.setUrl(publish(client, inventory, script, worker, deployment,
                        deployedByUs ? current.getUrl() : null, false));
                syncCronTriggers(client, account, script, schedules, deployment, false, worker);
                syncQueueConsumers(client, inventory, script, worker);
                // Nothing written: the shared listing this pass started from shows the script as it is, so a fleet
                // verified or adopted at once (statuses lost) costs no listing per worker. A write (tag, workers.dev,
                // routes, crons, consumers) may have moved modified_on: then a listing read after it.
                observed(deployment, inputs, client.sentWrites() ? listedModifiedOn(inventory, script)
                        : remote.map(WorkerScript::modifiedOn));
                status.setDeployment(deployment);
                if (deployedByUs) {
                    return upToDate(deployment);
                }
                String summary = "script " + script + " already runs this bundle with these settings (version "
                        + deployment.getVersionId() + "); taken over without an upload";
                events.normal(worker, "Adopted", summary);
                return StageResult.succeeded(ConditionTypes.DEPLOYED, "Adopted", summary);
            }
            events.warning(worker, "DriftDetected", "bindings changed outside the operator (missing: "
                    + names(drift.missing()) + ", changed: " + names(drift.changed()) + ", unexpected: "
                    + names(drift.unexpected()) + "); deploying again to restore them");
        } else if (check.lost()) {
            events.warning(worker, "DriftDetected", "script " + script + " is gone from account " + account
                    + "; deploying it again");
        }

        // the path (PUT or versions) follows the script's existence and migration tag: a listing read since our
        // last write knows both, so the client need not list the account's scripts itself
        Optional<WorkerScript> before = sameScript && current.getDeployedAt() != null
                ? inventory.script(script, Instant.parse(current.getDeployedAt())) : remote;
        DeployResult result = deploy(client, inventory, script, upload, percentage, message, digest, before);
        // Recorded at once: the calls below may be refused (rate limit, outage), and the next attempt must then
        // finish this deployment (the verification path above) instead of uploading it again.
        WorkerDeployment deployment = new WorkerDeployment();
        deployment.setAccountId(account);
        deployment.setScriptName(script);
        deployment.setSchedules(sameScript ? current.getSchedules() : List.of());
        deployment.setRoutes(sameScript ? current.getRoutes() : List.of());
        deployment.setUploadDigest(digest);
        deployment.setAssetsScript(assetsScript);
        deployment.setPercentage(result.version() != null ? percentage : 100);
        deployment.setDeployedAt(now());
        deployment.setVersionId(result.versionId());
        status.setDeployment(deployment);
        nameDeployedVersion(client, account, script, deployment);
        if (result.path() == DeployResult.Path.VERSIONS) {
            // a PUT carried the tag in its upload; a version cannot (the user's own tags as last listed are kept)
            client.setScriptTags(account, script, tagged(inventory.script(script, Instant.MIN), digest));
        } else if (result.script().modifiedOn() != null) {
            // A PUT answers with the script as a listing shows it (workers_script-response): the steady-state
            // check compares with its modified_on, and the shared listing holds it, without a listing per deploy.
            inventory.remember(result.script().asListed(script, tagged(before, digest)));
        }
        String url = publish(client, inventory, script, worker, deployment,
                sameScript && current != null ? current.getUrl() : null, before.isEmpty());
        syncCronTriggers(client, account, script, schedules, deployment, before.isEmpty(), worker);
        syncQueueConsumers(client, inventory, script, worker);
        deployment.setUrl(url);
        observed(deployment, inputs, Optional.ofNullable(result.script()).map(WorkerScript::modifiedOn)
                .or(() -> listedModifiedOn(inventory, script)));
        String versionId = deployment.getVersionId();
        String summary = "version " + versionId + " of " + script + " serves " + deployment.getPercentage() + "%"
                + (url == null ? "" : " at " + url);
        events.normal(worker, "Deployed", summary);
        return StageResult.succeeded(ConditionTypes.DEPLOYED, "Deployed", summary);
    }

    /**
     * Uploads and deploys (a PUT also tags the script with the upload's digest). The path was picked from a listing
     * up to one interval old: when Cloudflare refuses the upload and a fresh listing shows the script otherwise
     * (deleted, created, or its migration tag moved by a deploy outside the operator), it is tried once more.
     */
    private DeployResult deploy(CloudflareClient client, AccountInventory inventory, String script,
                                WorkerUpload upload, double percentage, String message, String digest,
                                Optional<WorkerScript> known) {
        String account = inventory.account();
        try {
            return client.deploy(account, script, upload, percentage, message, known, tagged(known, digest));
        } catch (CloudflareApiException e) {
            Optional<WorkerScript> fresh = inventory.script(script, clock.instant());
            if (e.status() != 400 || sameDeployPath(known, fresh)) {
                throw e;
            }
            return client.deploy(account, script, upload, percentage, message, fresh, tagged(fresh, digest));
        }
    }

    private static List<String> tagged(Optional<WorkerScript> remote, String digest) {
        return DeployDigests.withTag(remote.map(WorkerScript::tags).orElse(List.of()), digest);
    }

    private static boolean sameDeployPath(Optional<WorkerScript> a, Optional<WorkerScript> b) {
        return a.isPresent() == b.isPresent()
                && Objects.equals(a.map(WorkerScript::migrationTag), b.map(WorkerScript::migrationTag));
    }

    /** When a PUT's answer named no version (or a call after the upload was refused): the newest deployment does. */
    private static void nameDeployedVersion(CloudflareClient client, String account, String script,
                                            WorkerDeployment deployment) {
        if (deployment.getVersionId() == null) {
            latestDeployment(client, account, script).flatMap(WorkerDeployStage::newestShare)
                    .ifPresent(share -> deployment.setVersionId(share.versionId()));
        }
    }

    /** The permits one pass reserved for its sequence of calls; the ones not spent go back when the pass ends. */
    private static final class Sequence implements AutoCloseable {
        private CloudflareClient reserved;

        CloudflareClient reserve(CloudflareClient client, String what, String account, int permits) {
            reserved = client.reserving(what, account, permits);
            return reserved;
        }

        @Override
        public void close() {
            if (reserved != null) {
                reserved.close();
            }
        }
    }

    /** The script's settings, or empty when it was deleted since the (shared, possibly older) listing was read. */
    private static Optional<ScriptSettings> settingsIfPresent(CloudflareClient client, String account, String script) {
        try {
            return Optional.of(client.getSettings(account, script));
        } catch (CloudflareApiException e) {
            if (e.isNotFound()) {
                return Optional.empty();
            }
            throw e;
        }
    }

    private static StageResult upToDate(WorkerDeployment deployment) {
        String url = deployment.getUrl();
        return StageResult.succeeded(ConditionTypes.DEPLOYED, "UpToDate", "version " + deployment.getVersionId()
                + " serves " + deployment.getPercentage() + "% at " + (url == null ? "its routes" : url));
    }

    /**
     * A script that carries this digest's tag was deployed from the same bundle, settings and secrets (by this
     * operator before its status was lost: a restored cluster, a re-applied resource); record it as ours.
     */
    private WorkerDeployment adopted(CloudflareClient client, String account, String script, String digest) {
        Optional<Deployment> latest = latestDeployment(client, account, script);
        WorkerDeployment deployment = new WorkerDeployment();
        deployment.setAccountId(account);
        deployment.setScriptName(script);
        deployment.setUploadDigest(digest);
        latest.flatMap(WorkerDeployStage::newestShare).ifPresent(share -> {
            deployment.setVersionId(share.versionId());
            deployment.setPercentage((int) Math.round(share.percentage()));
        });
        latest.ifPresent(d -> deployment.setDeployedAt(d.createdOn()));
        return deployment;
    }

    /** The script's newest deployment (Cloudflare lists them newest first). */
    private static Optional<Deployment> latestDeployment(CloudflareClient client, String account, String script) {
        return client.listDeployments(account, script).stream().findFirst();
    }

    /** The version a deployment lists first: the one it rolls out (or its only one). */
    private static Optional<Deployment.Share> newestShare(Deployment deployment) {
        return deployment.versions().stream().findFirst();
    }

    /** Records what the steady-state check compares with: the inputs, and the script's modified_on after our writes. */
    private void observed(WorkerDeployment deployment, String inputs, Optional<String> modifiedOn) {
        deployment.setInputsDigest(inputs);
        deployment.setObservedModifiedOn(modifiedOn.orElse(null));
        deployment.setVerifiedAt(now());
    }

    /** The script's modified_on as a listing read from now on shows it. */
    private Optional<String> listedModifiedOn(AccountInventory inventory, String script) {
        return inventory.script(script, clock.instant()).map(WorkerScript::modifiedOn);
    }

    private String now() {
        return Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString();
    }

    /** Makes the script's cron triggers match the schedules and records them on the deployment. */
    private void syncCronTriggers(CloudflareClient client, String account, String script,
                                  List<ScheduleEntry> schedules, WorkerDeployment deployment, boolean created,
                                  PyModeWorker worker) {
        cronTriggers.sync(client, account, script, WorkerSchedules.crons(schedules),
                !deployment.getSchedules().isEmpty(), created, worker);
        deployment.setSchedules(schedules.stream().map(s -> new WorkerSchedule(s.resource(), s.cron())).toList());
    }

    private void syncQueueConsumers(CloudflareClient client, AccountInventory inventory, String script,
                                    PyModeWorker worker) {
        List<String> changes = QueueConsumers.sync(client, inventory, script, worker.getSpec());
        if (!changes.isEmpty()) {
            events.normal(worker, "QueueConsumers", "script " + script + ": " + String.join(", ", changes));
        }
    }

    /**
     * Enables or disables workers.dev and makes the routes match (recording them on the deployment); returns the
     * URL the worker answers on: workers.dev, else its first route.
     *
     * @param created the script did not exist before this pass: its workers.dev state is set, not read first
     * @param lastUrl the URL this operator's last pass of the same script published (null: none, or not ours); when
     *                it is the workers.dev URL and workers.dev stays on, the toggle is not read again (nothing
     *                watches it between deploys either, and a redeploy of a fleet would spend a read per worker)
     */
    private String publish(CloudflareClient client, AccountInventory inventory, String script, PyModeWorker worker,
                           WorkerDeployment deployment, String lastUrl, boolean created) {
        String account = inventory.account();
        var cloudflare = worker.getSpec().getCloudflare();
        boolean workersDev = cloudflare == null || !Boolean.FALSE.equals(cloudflare.getWorkersDev());
        String workersDevUrl = workersDev ? settings.workersDevUrl().replace("{script}", script)
                .replace("{subdomain}", inventory.workersDevSubdomain()) : null;
        boolean publishedThere = workersDev && workersDevUrl.equals(lastUrl);
        if (created || !publishedThere && client.scriptSubdomain(account, script).enabled() != workersDev) {
            client.setScriptSubdomain(account, script, workersDev);
        }
        deployment.setRoutes(routes.sync(client, account, script, worker, deployment.getRoutes()));
        if (workersDev) {
            return workersDevUrl;
        }
        return deployment.getRoutes().isEmpty() ? null
                : "https://" + deployment.getRoutes().get(0).getPattern().replace("*", "");
    }

    private static String names(List<dev.pymode.cloudflare.Binding> bindings) {
        return bindings.isEmpty() ? "none" : bindings.stream().map(b -> b.name()).collect(Collectors.joining(", "));
    }
}
