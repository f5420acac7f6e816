package dev.pymode.operator.builds;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import dev.pymode.operator.config.PyModeConfig;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ContainerState;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;

/**
 * Runs each build as a Kubernetes Job: non-root, read-only root filesystem, emptyDir workspace, no
 * service-account token, requests/limits, deadline, TTL. The project arrives as a ConfigMap mounted with
 * one item per file (so nested paths need no encoding); registry credentials as a docker config Secret.
 */
public class JobBuildExecutor implements BuildExecutor {

    static final String SOURCE_DIR = "/workspace/source";
    static final String PROGRAM = "/opt/pymode/builder-image/bundler/pymode_build.py";
    private static final long BUILDER_UID = 65532;
    static final long TERMINATION_GRACE_SECONDS = 5;
    static final String CA_BUNDLE_DIR = "/etc/pymode/ca";
    static final String CA_BUNDLE_KEY = "ca-bundle.crt";
    private static final int LOG_TAIL_LINES = 40;
    private static final Duration RECHECK = Duration.ofSeconds(60);

    private final KubernetesClient client;
    private final PyModeConfig.Builder settings;
    private final PyModeConfig.Registry registry;
    /** Per Job (namespace/name), owners that wait for its artifact besides its own (a shared build key). */
    private final Map<String, Set<ResourceID>> waiters = new ConcurrentHashMap<>();

    public JobBuildExecutor(KubernetesClient client, PyModeConfig config) {
        this.client = client;
        this.settings = config.builder();
        this.registry = config.registry();
    }

    @Override
    public BuildObservation observe(BuildRequest request) {
        Job job = client.batch().v1().jobs().inNamespace(request.namespace()).withName(request.name()).get();
        if (job == null) {
            return BuildObservation.absent();
        }
        if (hasCondition(job, "Complete")) {
            return BuildObservation.succeeded();
        }
        if (hasCondition(job, "Failed")) {
            return failure(job);
        }
        return BuildObservation.running("Job " + request.name());
    }

    @Override
    public boolean start(BuildRequest request) {
        if (client.batch().v1().jobs().inNamespace(request.namespace()).withName(request.name()).get() != null) {
            return false;
        }
        try {
            client.resource(sourceConfigMap(request)).createOr(existing -> existing.update());
            caBundleConfigMap(request).ifPresent(ca -> client.resource(ca).createOr(existing -> existing.update()));
            client.resource(job(request)).create();
            return true;
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) { // another reconcile created it first: that build is ours too
                throw e;
            }
            return false;
        }
    }

    @Override
    public void delete(String namespace, String buildName) {
        waiters.remove(jobKey(namespace, buildName));
        client.batch().v1().jobs().inNamespace(namespace).withName(buildName).withPropagationPolicy(
                io.fabric8.kubernetes.api.model.DeletionPropagation.BACKGROUND).delete();
        client.configMaps().inNamespace(namespace).withName(sourceConfigMapName(buildName)).delete();
        if (settings.caBundleFile().isPresent()) {
            client.configMaps().inNamespace(namespace).withName(caBundleConfigMapName(buildName)).delete();
        }
    }

    @Override
    public List<String> buildsOf(String namespace, String ownerKind, String ownerName) {
        return client.batch().v1().jobs().inNamespace(namespace)
                .withLabel(BuildLabels.MANAGED_BY, BuildLabels.OPERATOR)
                .withLabel(BuildLabels.OWNER_KIND, ownerKind.toLowerCase())
                .withLabel(BuildLabels.OWNER_NAME, ownerName)
                .list().getItems().stream().map(j -> j.getMetadata().getName()).toList();
    }

    /**
     * An informer on the owner kind's build Jobs (selected by the build labels, mapped back by the owner labels) that
     * passes on only what changes a build's outcome: a Job turning Complete or Failed, and a Job deleted before it
     * finished (deleted by hand: the owner starts it again). Finished Jobs the operator or their TTL removes, and
     * every status update in between, are dropped.
     */
    @Override
    public <P extends HasMetadata> EventSource<?, P> completions(Class<P> ownerType, EventSourceContext<P> context) {
        String ownerKind = HasMetadata.getKind(ownerType).toLowerCase();
        var configuration = InformerEventSourceConfiguration.from(Job.class, ownerType)
                .withName("build-jobs")
                .withNamespacesInheritedFromController()
                .withLabelSelector(BuildLabels.MANAGED_BY + "=" + BuildLabels.OPERATOR + ","
                        + BuildLabels.OWNER_KIND + "=" + ownerKind)
                .withSecondaryToPrimaryMapper(this::ownerAndWaiters)
                .withOnAddFilter(JobBuildExecutor::finished)
                .withOnUpdateFilter((updated, old) -> finished(updated) && !finished(old))
                .withOnDeleteFilter((job, finalStateUnknown) -> {
                    if (finished(job)) {
                        waiters.remove(jobKey(job.getMetadata().getNamespace(), job.getMetadata().getName()));
                        return false;
                    }
                    return true;
                })
                .build();
        return new InformerEventSource<>(configuration, context);
    }

    /** Job status changes arrive through {@link #completions}; this is only the safety net. */
    @Override
    public Duration recheck() {
        return RECHECK;
    }

    @Override
    public void wakeWhenFinished(BuildRequest running, ResourceID waiter) {
        waiters.computeIfAbsent(jobKey(running.namespace(), running.name()), k -> ConcurrentHashMap.newKeySet())
                .add(waiter);
    }

    /** The Job's owner, and the owners waiting for the same artifact ({@link #wakeWhenFinished}). */
    private Set<ResourceID> ownerAndWaiters(Job job) {
        Set<ResourceID> wake = new HashSet<>(waiters.getOrDefault(
                jobKey(job.getMetadata().getNamespace(), job.getMetadata().getName()), Set.of()));
        String name = job.getMetadata().getLabels() == null ? null
                : job.getMetadata().getLabels().get(BuildLabels.OWNER_NAME);
        if (name != null) {
            wake.add(new ResourceID(name, job.getMetadata().getNamespace()));
        }
        return wake;
    }

    private static String jobKey(String namespace, String name) {
        return namespace + "/" + name;
    }

    private static boolean finished(Job job) {
        return hasCondition(job, "Complete") || hasCondition(job, "Failed");
    }

    static String sourceConfigMapName(String buildName) {
        return buildName + "-source";
    }

    static String caBundleConfigMapName(String buildName) {
        return buildName + "-ca";
    }

    /** The configured CA bundle as a ConfigMap beside the build's source (Jobs run in the worker's namespace). */
    Optional<ConfigMap> caBundleConfigMap(BuildRequest request) {
        return settings.caBundleFile().map(file -> {
            String pem;
            try {
                pem = Files.readString(Path.of(file));
            } catch (IOException e) {
                throw new IllegalStateException("cannot read the builder CA bundle " + file + " (pymode.builder"
                        + ".ca-bundle-file, chart value builder.caBundle): " + e.getMessage(), e);
            }
            return new ConfigMapBuilder()
                    .withNewMetadata().withName(caBundleConfigMapName(request.name())).withNamespace(request.namespace())
                    .withLabels(request.labels()).withOwnerReferences(request.owner()).endMetadata()
                    .addToData(CA_BUNDLE_KEY, pem)
                    .build();
        });
    }

    ConfigMap sourceConfigMap(BuildRequest request) {
        Map<String, String> binary = new java.util.TreeMap<>();
        int i = 0;
        for (var file : request.sourceFiles().entrySet()) {
            binary.put("f" + (i++), Base64.getEncoder().encodeToString(file.getValue()));
        }
        return new ConfigMapBuilder()
                .withNewMetadata().withName(sourceConfigMapName(request.name())).withNamespace(request.namespace())
                .withLabels(request.labels()).withOwnerReferences(request.owner()).endMetadata()
                .withBinaryData(binary)
                .build();
    }

    /** The Job; package-visible so tests can assert every security and resource setting. */
    Job job(BuildRequest request) {
        List<KeyToPath> items = new ArrayList<>();
        int i = 0;
        for (String path : request.sourceFiles().keySet()) {
            items.add(new KeyToPath("f" + (i++), null, path));
        }
        List<Volume> volumes = new ArrayList<>(List.of(
                new VolumeBuilder().withName("workspace").withNewEmptyDir()
                        .withSizeLimit(new Quantity(settings.workspaceSize())).endEmptyDir().build(),
                new VolumeBuilder().withName("tmp").withNewEmptyDir().endEmptyDir().build(),
                new VolumeBuilder().withName("source").withNewConfigMap()
                        .withName(sourceConfigMapName(request.name())).withItems(items).endConfigMap().build()));
        List<VolumeMount> mounts = new ArrayList<>(List.of(
                new VolumeMountBuilder().withName("workspace").withMountPath("/workspace").build(),
                new VolumeMountBuilder().withName("tmp").withMountPath("/tmp").build(),
                new VolumeMountBuilder().withName("source").withMountPath(SOURCE_DIR).withReadOnly(true).build()));
        List<EnvVar> env = new ArrayList<>(List.of(
                new EnvVar("HOME", "/workspace/home", null),
                new EnvVar("XDG_CACHE_HOME", "/workspace/cache", null),
                new EnvVar("PIP_CACHE_DIR", "/workspace/cache/pip", null),
                new EnvVar("PYMODE_REGISTRY_PLAIN_HTTP", registry.plainHttp() ? "1" : "0", null)));
        if (settings.caBundleFile().isPresent()) {
            volumes.add(new VolumeBuilder().withName("ca-bundle").withNewConfigMap()
                    .withName(caBundleConfigMapName(request.name())).endConfigMap().build());
            mounts.add(new VolumeMountBuilder().withName("ca-bundle").withMountPath(CA_BUNDLE_DIR).withReadOnly(true)
                    .build());
            String bundle = CA_BUNDLE_DIR + "/" + CA_BUNDLE_KEY;
            for (String variable : List.of("SSL_CERT_FILE", "PIP_CERT", "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS",
                    "CURL_CA_BUNDLE")) {
                env.add(new EnvVar(variable, bundle, null));
            }
        }
        packageIndexEnv(env);
        registry.pushSecret().ifPresent(secret -> {
            volumes.add(new VolumeBuilder().withName("registry-auth").withNewSecret().withSecretName(secret)
                    .withItems(new KeyToPath(".dockerconfigjson", null, "config.json")).endSecret().build());
            mounts.add(new VolumeMountBuilder().withName("registry-auth").withMountPath("/registry-auth")
                    .withReadOnly(true).build());
            env.add(new EnvVar("DOCKER_CONFIG", "/registry-auth", null));
        });
        return new JobBuilder()
                .withNewMetadata().withName(request.name()).withNamespace(request.namespace())
                .withLabels(request.labels()).withOwnerReferences(request.owner()).endMetadata()
                .withNewSpec()
                .withBackoffLimit(settings.backoffLimit())
                .withActiveDeadlineSeconds(settings.activeDeadline().toSeconds())
                .withTtlSecondsAfterFinished((int) settings.ttlAfterFinished().toSeconds())
                .withNewTemplate()
                .withNewMetadata().withLabels(request.labels()).endMetadata()
                .withNewSpec()
                .withRestartPolicy("Never")
                .withAutomountServiceAccountToken(false)
                .withEnableServiceLinks(false)
                // the builder stops at once on SIGTERM (pymode_build.py); a short grace ends a stuck one sooner
                .withTerminationGracePeriodSeconds(TERMINATION_GRACE_SECONDS)
                .withNewSecurityContext()
                .withRunAsNonRoot(true).withRunAsUser(BUILDER_UID).withRunAsGroup(BUILDER_UID).withFsGroup(BUILDER_UID)
                .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
                .endSecurityContext()
                .addNewContainer()
                .withName("builder")
                .withImage(settings.image())
                .withCommand(BuilderCommand.argv("python3", PROGRAM, request.subcommand(), SOURCE_DIR, request.arguments()))
                .withWorkingDir("/workspace")
                .withEnv(env)
                .withVolumeMounts(mounts)
                .withTerminationMessagePolicy("FallbackToLogsOnError")
                .withNewSecurityContext()
                .withReadOnlyRootFilesystem(true).withAllowPrivilegeEscalation(false).withRunAsNonRoot(true)
                .withNewCapabilities().withDrop("ALL").endCapabilities()
                .endSecurityContext()
                .withNewResources()
                .addToRequests("cpu", new Quantity(settings.cpuRequest()))
                .addToRequests("memory", new Quantity(settings.memoryRequest()))
                .addToLimits("cpu", new Quantity(settings.cpuLimit()))
                .addToLimits("memory", new Quantity(settings.memoryLimit()))
                .addToLimits("ephemeral-storage", new Quantity(settings.workspaceSize()))
                .endResources()
                .endContainer()
                .withVolumes(volumes)
                .endSpec()
                .endTemplate()
                .endSpec()
                .build();
    }

    /**
     * The operator's package index (chart value builder.packageIndex) for the builder's pip: the URL as a value,
     * the credentials by reference to the Secret, so they appear in no Job spec, argv or log.
     */
    private void packageIndexEnv(List<EnvVar> env) {
        settings.packageIndexUrl().ifPresent(url -> env.add(new EnvVar(BuilderCommand.ENV_PACKAGE_INDEX_URL, url, null)));
        settings.packageIndexCredentialsSecret().ifPresent(secret -> {
            env.add(new EnvVarBuilder().withName(BuilderCommand.ENV_PACKAGE_INDEX_USERNAME).withNewValueFrom()
                    .withNewSecretKeyRef("username", secret, false).endValueFrom().build());
            env.add(new EnvVarBuilder().withName(BuilderCommand.ENV_PACKAGE_INDEX_PASSWORD).withNewValueFrom()
                    .withNewSecretKeyRef("password", secret, false).endValueFrom().build());
        });
    }

    private static boolean hasCondition(Job job, String type) {
        return job.getStatus() != null && job.getStatus().getConditions() != null && job.getStatus().getConditions()
                .stream().anyMatch(c -> type.equals(c.getType()) && "True".equals(c.getStatus()));
    }

    /**
     * What failed: an OOM-killed builder (the Job itself then says only BackoffLimitExceeded), the Job's deadline,
     * else the builder's own error.
     */
    private BuildObservation failure(Job job) {
        List<Pod> pods = podsOf(job);
        String detail = failureDetail(job, pods);
        if (pods.stream().anyMatch(JobBuildExecutor::outOfMemory)) {
            return BuildObservation.outOfMemory(memoryLimit(job), detail);
        }
        if ("DeadlineExceeded".equals(failedReason(job))) {
            Long seconds = job.getSpec().getActiveDeadlineSeconds();
            return BuildObservation.deadlineExceeded(seconds == null ? "(none set)"
                    : Duration.ofSeconds(seconds).toString(), detail);
        }
        if (pods.stream().anyMatch(pod -> exitedWith(pod, BuilderCommand.EXIT_INVALID_INPUT))) {
            return BuildObservation.invalidInput(detail);
        }
        if (pods.stream().anyMatch(pod -> exitedWith(pod, BuilderCommand.EXIT_NEEDS_RECIPES))) {
            return BuildObservation.needsRecipes(detail);
        }
        return BuildObservation.failed(detail);
    }

    private static boolean exitedWith(Pod pod, int code) {
        return pod.getStatus() != null && pod.getStatus().getContainerStatuses() != null
                && pod.getStatus().getContainerStatuses().stream().anyMatch(status -> status.getState() != null
                && status.getState().getTerminated() != null
                && Integer.valueOf(code).equals(status.getState().getTerminated().getExitCode()));
    }

    /** This Job's pods: by the Job controller's label, and owned by this Job (not an earlier one of the same name). */
    private List<Pod> podsOf(Job job) {
        String uid = job.getMetadata().getUid();
        return client.pods().inNamespace(job.getMetadata().getNamespace())
                .withLabel("job-name", job.getMetadata().getName()).list().getItems().stream()
                .filter(p -> p.getMetadata().getOwnerReferences().stream().anyMatch(o -> uid.equals(o.getUid())))
                .toList();
    }

    private static boolean outOfMemory(Pod pod) {
        if (pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) {
            return false;
        }
        return pod.getStatus().getContainerStatuses().stream().anyMatch(status ->
                oomKilled(status.getState()) || oomKilled(status.getLastState()));
    }

    private static boolean oomKilled(ContainerState state) {
        return state != null && state.getTerminated() != null
                && "OOMKilled".equals(state.getTerminated().getReason());
    }

    /** The builder container's memory limit as the Job was created with it. */
    private static String memoryLimit(Job job) {
        return job.getSpec().getTemplate().getSpec().getContainers().stream()
                .filter(c -> "builder".equals(c.getName())).findFirst()
                .map(c -> c.getResources() == null || c.getResources().getLimits() == null ? null
                        : c.getResources().getLimits().get("memory"))
                .map(Quantity::toString).orElse("(none set)");
    }

    private static String failedReason(Job job) {
        return job.getStatus().getConditions().stream()
                .filter(c -> "Failed".equals(c.getType()) && "True".equals(c.getStatus()))
                .map(JobCondition::getReason).filter(r -> r != null).findFirst().orElse("");
    }

    /** The termination message (the builder writes its error there), else the log tail, else the Job's reason. */
    private String failureDetail(Job job, List<Pod> pods) {
        for (Pod pod : pods) {
            if (pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) {
                continue;
            }
            for (var status : pod.getStatus().getContainerStatuses()) {
                ContainerStateTerminated terminated = status.getState() == null ? null : status.getState().getTerminated();
                if (terminated != null && terminated.getMessage() != null && !terminated.getMessage().isBlank()) {
                    return terminated.getMessage().strip();
                }
            }
            try {
                String log = client.pods().inNamespace(pod.getMetadata().getNamespace())
                        .withName(pod.getMetadata().getName()).tailingLines(LOG_TAIL_LINES).getLog();
                if (log != null && !log.isBlank()) {
                    return log.strip();
                }
            } catch (KubernetesClientException e) {
                // the pod's log may already be gone; fall back to the Job's own reason below
            }
        }
        return job.getStatus().getConditions().stream().filter(c -> "Failed".equals(c.getType()))
                .map(JobCondition::getMessage).filter(m -> m != null).findFirst().orElse("the build Job failed");
    }
}
