package dev.pymode.operator.cloudflare;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import dev.pymode.cloudflare.BindingDrift;
import dev.pymode.cloudflare.CloudflareApiException;
import dev.pymode.cloudflare.CloudflareClient;
import dev.pymode.cloudflare.CloudflareException;
import dev.pymode.cloudflare.DeployResult;
import dev.pymode.cloudflare.RateLimitedException;
import dev.pymode.cloudflare.WorkerUpload;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorker;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorkerStatus;
import dev.pymode.operator.api.v1alpha1.worker.WorkerBindings;
import dev.pymode.operator.api.v1alpha1.worker.WorkerDeployment;
import dev.pymode.operator.api.v1alpha1.worker.WorkerSchedule;
import dev.pymode.operator.workflow.ScheduleEntry;
import dev.pymode.operator.workflow.WorkerSchedules;
import dev.pymode.operator.config.PyModeConfig;
import dev.pymode.operator.events.EventRecorder;
import dev.pymode.operator.failure.Backoff;
import dev.pymode.operator.failure.FailureClassifier;
import dev.pymode.operator.status.Conditions;
import dev.pymode.operator.oci.RegistryUnavailableException;
import dev.pymode.operator.status.ConditionTypes;
import dev.pymode.operator.status.StageResult;

/**
 * The {@code Deployed} stage: make the account hold what the worker asks for. Resources are found or created,
 * the bundle is uploaded only when its digest (content, bindings, settings, secret revisions, traffic share)
 * differs from what was deployed, bindings changed outside the operator are put back (with an event), and
 * workers.dev, routes and the cron triggers of the worker's scheduled PyModeWorkflows follow the spec.
 * Cloudflare errors name the call and the API's error codes.
 */
public class WorkerDeployStage {

    private static final Duration RETRY = Duration.ofSeconds(15);
    private static final Duration SECRET_RECHECK = Duration.ofSeconds(30);

    private final CloudflareTargets targets;
    private final CloudflareClients clients;
    private final BundleStore bundles;
    private final WorkerUploadFactory uploads;
    private final CronTriggerSync cronTriggers;
    private final RouteSync routes;
    private final SecretValues secrets;
    private final PyModeConfig.Cloudflare settings;
    private final EventRecorder events;
    private final Clock clock;

    public WorkerDeployStage(CloudflareTargets targets, CloudflareClients clients, BundleStore bundles,
                             WorkerUploadFactory uploads, SecretValues secrets, PyModeConfig.Cloudflare settings,
                             EventRecorder events, Clock clock) {
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
        try {
            return deploy(worker, status, schedules);
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
            events.warning(worker, failure.reason(), e.getMessage());
            return failure.terminal()
                    ? StageResult.terminalFailure(ConditionTypes.DEPLOYED, failure.reason(), failure.line())
                    : StageResult.transientFailure(ConditionTypes.DEPLOYED, failure.reason(), failure.line(),
                    retry(worker, status));
        } catch (CloudflareException e) {
            return StageResult.transientFailure(ConditionTypes.DEPLOYED, "CloudflareUnavailable", e.getMessage(),
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

    private StageResult deploy(PyModeWorker worker, PyModeWorkerStatus status, List<ScheduleEntry> schedules) {
        CloudflareTarget target = targets.resolve(worker);
        CloudflareClient client = clients.forTarget(target);
        String account = target.accountId();
        String script = worker.scriptName();
        var spec = worker.getSpec();

        String ref = status.getArtifact().getRef();
        String repository = ref.substring(ref.indexOf('/') + 1, ref.indexOf('@'));
        BundleStore.Bundle bundle = bundles.load(repository, status.getArtifact().getDigest());

        WorkerUploadFactory.ResolvedResources resources = ensureResources(client, account, spec.getBindings());
        Map<String, String> secretValues = new LinkedHashMap<>();
        Map<String, String> secretRevisions = new TreeMap<>();
        WorkerBindings bindings = spec.getBindings() == null ? new WorkerBindings() : spec.getBindings();
        for (var secret : bindings.getSecrets()) {
            SecretValues.Value value = secrets.read(worker.getMetadata().getNamespace(), secret.getSecretKeyRef());
            secretValues.put(secret.getName(), value.value());
            secretRevisions.put(secret.getName(), secret.getSecretKeyRef().getName() + "/"
                    + secret.getSecretKeyRef().getKey() + "@" + value.resourceVersion());
        }
        int percentage = spec.getCloudflare() != null && spec.getCloudflare().getRollout() != null
                ? spec.getCloudflare().getRollout().getPercentage() : 100;
        String message = "pymode " + status.getArtifact().getDigest().substring(0, 19);
        WorkerUpload upload = uploads.build(bundle, spec, resources, secretValues, schedules, message);
        String digest = uploadDigest(upload, secretRevisions, percentage);

        WorkerDeployment current = status.getDeployment();
        boolean sameUpload = current != null && digest.equals(current.getUploadDigest())
                && account.equals(current.getAccountId()) && script.equals(current.getScriptName());
        if (sameUpload && client.findScript(account, script).isPresent()) {
            BindingDrift drift = BindingDrift.between(upload.bindings(), client.getSettings(account, script).bindings());
            if (drift.none()) {
                String url = publish(client, account, script, worker, current);
                current.setUrl(url);
                syncCronTriggers(client, account, script, schedules, current, worker);
                return StageResult.succeeded(ConditionTypes.DEPLOYED, "UpToDate", "version " + current.getVersionId()
                        + " serves " + current.getPercentage() + "% at " + (url == null ? "its routes" : url));
            }
            events.warning(worker, "DriftDetected", "bindings changed outside the operator (missing: "
                    + names(drift.missing()) + ", changed: " + names(drift.changed()) + ", unexpected: "
                    + names(drift.unexpected()) + "); deploying again to restore them");
        }

        DeployResult result = client.deploy(account, script, upload, percentage, message);
        String versionId = result.version() != null ? result.version().id()
                : client.listDeployments(account, script).stream().findFirst()
                .flatMap(d -> d.versions().stream().findFirst()).map(s -> s.versionId()).orElse(null);
        WorkerDeployment deployment = new WorkerDeployment();
        boolean sameScript = current != null && script.equals(current.getScriptName())
                && account.equals(current.getAccountId());
        deployment.setSchedules(sameScript ? current.getSchedules() : List.of());
        deployment.setRoutes(sameScript ? current.getRoutes() : List.of());
        String url = publish(client, account, script, worker, deployment);
        syncCronTriggers(client, account, script, schedules, deployment, worker);
        deployment.setAccountId(account);
        deployment.setScriptName(script);
        deployment.setVersionId(versionId);
        deployment.setUrl(url);
        deployment.setUploadDigest(digest);
        deployment.setPercentage(result.version() != null ? percentage : 100);
        deployment.setDeployedAt(Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString());
        status.setDeployment(deployment);
        String summary = "version " + versionId + " of " + script + " serves " + deployment.getPercentage() + "%"
                + (url == null ? "" : " at " + url);
        events.normal(worker, "Deployed", summary);
        return StageResult.succeeded(ConditionTypes.DEPLOYED, "Deployed", summary);
    }

    /** Makes the script's cron triggers match the schedules and records them on the deployment. */
    private void syncCronTriggers(CloudflareClient client, String account, String script,
                                  List<ScheduleEntry> schedules, WorkerDeployment deployment, PyModeWorker worker) {
        cronTriggers.sync(client, account, script, WorkerSchedules.crons(schedules),
                !deployment.getSchedules().isEmpty(), worker);
        deployment.setSchedules(schedules.stream().map(s -> new WorkerSchedule(s.resource(), s.cron())).toList());
    }

    private WorkerUploadFactory.ResolvedResources ensureResources(CloudflareClient client, String account,
                                                                  WorkerBindings bindings) {
        Map<String, String> kv = new LinkedHashMap<>();
        Map<String, String> r2 = new LinkedHashMap<>();
        Map<String, String> d1 = new LinkedHashMap<>();
        if (bindings != null) {
            bindings.getKv().forEach(b -> kv.put(b.getName(),
                    client.findOrCreateKvNamespace(account, b.getNamespace()).id()));
            bindings.getR2().forEach(b -> r2.put(b.getName(),
                    client.findOrCreateR2Bucket(account, b.getBucket()).name()));
            bindings.getD1().forEach(b -> d1.put(b.getName(),
                    client.findOrCreateD1Database(account, b.getDatabase()).uuid()));
        }
        return new WorkerUploadFactory.ResolvedResources(kv, r2, d1);
    }

    /**
     * Enables or disables workers.dev and makes the routes match (recording them on the deployment); returns the
     * URL the worker answers on: workers.dev, else its first route.
     */
    private String publish(CloudflareClient client, String account, String script, PyModeWorker worker,
                           WorkerDeployment deployment) {
        var cloudflare = worker.getSpec().getCloudflare();
        boolean workersDev = cloudflare == null || !Boolean.FALSE.equals(cloudflare.getWorkersDev());
        if (client.scriptSubdomain(account, script).enabled() != workersDev) {
            client.setScriptSubdomain(account, script, workersDev);
        }
        deployment.setRoutes(routes.sync(client, account, script, worker, deployment.getRoutes()));
        if (workersDev) {
            return settings.workersDevUrl().replace("{script}", script)
                    .replace("{subdomain}", client.accountSubdomain(account));
        }
        return deployment.getRoutes().isEmpty() ? null
                : "https://" + deployment.getRoutes().get(0).getPattern().replace("*", "");
    }

    static String uploadDigest(WorkerUpload upload, Map<String, String> secretRevisions, int percentage) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(upload.contentHash().getBytes(StandardCharsets.UTF_8));
            sha.update(secretRevisions.toString().getBytes(StandardCharsets.UTF_8));
            sha.update(Integer.toString(percentage).getBytes(StandardCharsets.UTF_8));
            return "sha256:" + HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String names(List<dev.pymode.cloudflare.Binding> bindings) {
        return bindings.isEmpty() ? "none" : bindings.stream().map(b -> b.name()).collect(Collectors.joining(", "));
    }
}
