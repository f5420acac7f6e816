package dev.pymode.operator.source.resolve;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pymode.operator.api.v1alpha1.common.SecretKeyReference;
import dev.pymode.operator.api.v1alpha1.worker.GitSource;
import dev.pymode.operator.api.v1alpha1.worker.InlineFile;
import dev.pymode.operator.api.v1alpha1.worker.OciSource;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorker;
import dev.pymode.operator.api.v1alpha1.worker.WorkerSource;
import dev.pymode.operator.kube.SecretValues;
import dev.pymode.operator.source.ProjectPaths;
import dev.pymode.operator.source.ProjectSource;
import dev.pymode.operator.source.SourceFailure;
import dev.pymode.operator.source.SourceLimits;
import dev.pymode.operator.source.git.GitCredentials;
import dev.pymode.operator.source.git.GitSourceFetcher;
import dev.pymode.operator.source.git.GitUrls;
import dev.pymode.operator.source.oci.DockerConfig;
import dev.pymode.operator.source.oci.OciReference;
import dev.pymode.operator.source.oci.OciSourceFetcher;
import dev.pymode.operator.status.ConditionTypes;
import dev.pymode.operator.status.Conditions;
import dev.pymode.operator.status.StageResult;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * Resolves a worker's source into files and a digest; the {@code SourceReady} stage. Inline and ConfigMap
 * sources are read here; git and OCI sources through their fetchers. Whatever the kind, the same tree gives
 * the same digest, and the project must fit {@link SourceLimits}.
 */
public class SourceResolver {

    /** ConfigMap keys cannot hold '/', so nested paths are written with this separator. */
    public static final String CONFIGMAP_PATH_SEPARATOR = "--";

    private static final Duration CONFIGMAP_RECHECK = Duration.ofSeconds(30);
    /** Transient failures (network, registry) are retried after this, doubling while they last. */
    static final Duration FIRST_RETRY = Duration.ofSeconds(5);
    static final Duration MAX_RETRY = Duration.ofMinutes(5);

    private final KubernetesClient client;
    private final SecretValues secrets;
    private final GitSourceFetcher git;
    private final OciSourceFetcher oci;
    private final ObjectMapper mapper;
    private final Clock clock;

    public SourceResolver(KubernetesClient client, GitSourceFetcher git, OciSourceFetcher oci, ObjectMapper mapper,
                          Clock clock) {
        this.client = client;
        this.secrets = new SecretValues(client);
        this.git = git;
        this.oci = oci;
        this.mapper = mapper;
        this.clock = clock;
    }

    /** Outcome of resolving: the stage result, and the source when it succeeded. */
    public record Resolution(StageResult stage, ProjectSource source) {
    }

    public Resolution resolve(PyModeWorker worker) {
        WorkerSource source = worker.getSpec().getSource();
        if (source.getInline() != null) {
            Map<String, byte[]> files = new LinkedHashMap<>();
            for (InlineFile file : source.getInline().getFiles()) {
                files.put(file.getPath(), file.getContent().getBytes(StandardCharsets.UTF_8));
            }
            return resolved(new ProjectSource(files, "inline@generation-" + worker.getMetadata().getGeneration()),
                    null, Optional.empty());
        }
        if (source.getConfigMapRef() != null) {
            return fromConfigMap(worker, source.getConfigMapRef().getName());
        }
        if (source.getGit() != null) {
            return fromGit(worker, source.getGit());
        }
        return fromOci(worker, source.getOci());
    }

    private Resolution fromConfigMap(PyModeWorker worker, String name) {
        String namespace = worker.getMetadata().getNamespace();
        ConfigMap configMap = client.configMaps().inNamespace(namespace).withName(name).get();
        if (configMap == null) {
            // The ConfigMap may be applied after the worker (GitOps applies in any order): wait, do not stall.
            return new Resolution(StageResult.progressing(ConditionTypes.SOURCE_READY, "ConfigMapNotFound",
                    "waiting for ConfigMap " + namespace + "/" + name, CONFIGMAP_RECHECK), null);
        }
        Map<String, byte[]> files = new LinkedHashMap<>();
        if (configMap.getData() != null) {
            configMap.getData().forEach((key, value) -> files.put(toPath(key), value.getBytes(StandardCharsets.UTF_8)));
        }
        if (configMap.getBinaryData() != null) {
            configMap.getBinaryData().forEach((key, value) -> files.put(toPath(key), Base64.getDecoder().decode(value)));
        }
        if (files.isEmpty()) {
            return new Resolution(StageResult.terminalFailure(ConditionTypes.SOURCE_READY, "EmptySource",
                    "ConfigMap " + namespace + "/" + name + " has no files"), null);
        }
        for (String path : files.keySet()) {
            if (!ProjectPaths.isSafeRelative(path)) {
                return new Resolution(StageResult.terminalFailure(ConditionTypes.SOURCE_READY, "InvalidSourcePath",
                        "ConfigMap " + namespace + "/" + name + " key maps to an unsafe path '" + path
                                + "': paths must be relative and must not contain '..'"), null);
            }
        }
        String revision = "configmap/" + name + "@" + configMap.getMetadata().getResourceVersion();
        return resolved(new ProjectSource(files, revision), null, Optional.empty());
    }

    private Resolution fromGit(PyModeWorker worker, GitSource spec) {
        String namespace = worker.getMetadata().getNamespace();
        Duration interval = Intervals.DEFAULT;
        try {
            interval = interval(spec.getInterval());
            GitCredentials credentials = new GitCredentials.None();
            SecretKeyReference ref = spec.getCredentialsSecretRef();
            String keyWhere = null;
            String knownHostsWhere = null;
            if (ref != null && ref.getName() != null) {
                Secret secret = secret(namespace, ref.getName());
                keyWhere = "key '" + ref.getKey() + "' of Secret " + namespace + "/" + ref.getName();
                String value = SecretValues.value(secret, ref.getKey()).orElseThrow(() -> SourceFailure.terminal(
                        "InvalidCredentials", "Secret " + namespace + "/" + ref.getName() + " has no key '"
                                + ref.getKey() + "' (credentialsSecretRef)"));
                if (GitUrls.isSsh(spec.getUrl())) {
                    knownHostsWhere = "key '" + GitCredentials.KNOWN_HOSTS_KEY + "' of Secret " + namespace + "/"
                            + ref.getName();
                    String knownHosts = SecretValues.value(secret, GitCredentials.KNOWN_HOSTS_KEY).orElseThrow(() ->
                            SourceFailure.terminal("InvalidCredentials", "Secret " + namespace + "/" + ref.getName()
                                    + " has no key '" + GitCredentials.KNOWN_HOSTS_KEY + "': ssh sources need the "
                                    + "server's host keys there (ssh-keyscan -p <port> <host>); unknown hosts are refused"));
                    credentials = new GitCredentials.Ssh(value, knownHosts);
                } else {
                    credentials = GitCredentials.http(value, keyWhere);
                }
            }
            ProjectSource source = git.fetch(new GitSourceFetcher.Request(spec.getUrl(), spec.getRef(), spec.getPath(),
                    credentials, interval, keyWhere, knownHostsWhere));
            return resolved(source, source.revision(), Optional.of(interval));
        } catch (SourceFailure failure) {
            return failed(worker, failure, interval);
        }
    }

    private Resolution fromOci(PyModeWorker worker, OciSource spec) {
        String namespace = worker.getMetadata().getNamespace();
        Duration interval = Intervals.DEFAULT;
        try {
            interval = interval(spec.getInterval());
            Optional<DockerConfig.Credentials> credentials = Optional.empty();
            if (spec.getPullSecretRef() != null && spec.getPullSecretRef().getName() != null) {
                String name = spec.getPullSecretRef().getName();
                Secret secret = secret(namespace, name);
                String where = "Secret " + namespace + "/" + name;
                String json = SecretValues.value(secret, DockerConfig.KEY).orElseThrow(() -> SourceFailure.terminal(
                        "InvalidCredentials", where + " has no key '" + DockerConfig.KEY + "': pullSecretRef must "
                                + "name a Secret of type " + DockerConfig.TYPE + " (kubectl create secret docker-registry)"));
                String host = OciReference.parse(spec.getRef()).host();
                credentials = DockerConfig.credentialsFor(json, host, where, mapper);
                if (credentials.isEmpty()) {
                    throw SourceFailure.terminal("InvalidCredentials", where + " has no credentials for registry "
                            + host + " (its .dockerconfigjson 'auths' names other registries)");
                }
            }
            ProjectSource source = oci.fetch(new OciSourceFetcher.Request(spec.getRef(), credentials, interval));
            return resolved(source, source.revision(), Optional.of(interval));
        } catch (SourceFailure failure) {
            return failed(worker, failure, interval);
        }
    }

    /** The Secret; a missing one is waited for, since GitOps tools apply it in any order with the worker. */
    private Secret secret(String namespace, String name) throws SourceFailure {
        return secrets.find(namespace, name).orElseThrow(() -> SourceFailure.waiting("CredentialsNotFound",
                "waiting for Secret " + namespace + "/" + name));
    }

    /** The re-check interval of a fetched source; a malformed one stalls the worker until the spec changes. */
    private static Duration interval(String text) throws SourceFailure {
        try {
            return Intervals.parse(text);
        } catch (IllegalArgumentException e) {
            throw SourceFailure.terminal("InvalidInterval", e.getMessage());
        }
    }

    /**
     * Terminal failures are re-checked every interval anyway (the branch may be fixed by a push, the Secret by an
     * edit); transient ones back off from {@link #FIRST_RETRY}, doubling for as long as the failure has lasted.
     */
    private Resolution failed(PyModeWorker worker, SourceFailure failure, Duration interval) {
        String type = ConditionTypes.SOURCE_READY;
        StageResult stage = switch (failure.kind()) {
            case TERMINAL -> new StageResult(type, StageResult.Outcome.FAILED_TERMINAL, failure.reason(),
                    failure.getMessage(), Optional.of(interval));
            case TRANSIENT -> StageResult.transientFailure(type, failure.reason(), failure.getMessage(),
                    backoff(worker, failure.reason(), interval));
            case WAITING -> StageResult.progressing(type, failure.reason(), failure.getMessage(), CONFIGMAP_RECHECK);
        };
        return new Resolution(stage, null);
    }

    /** As long as the failure has lasted (from the condition's transition time), between 5 s and the interval. */
    Duration backoff(PyModeWorker worker, String reason, Duration interval) {
        Duration cap = interval.compareTo(MAX_RETRY) < 0 ? interval : MAX_RETRY;
        if (cap.compareTo(FIRST_RETRY) < 0) {
            return cap;
        }
        Duration lasted = Optional.ofNullable(worker.getStatus())
                .flatMap(s -> Conditions.find(s.getConditions(), ConditionTypes.SOURCE_READY))
                .filter(c -> "False".equals(c.getStatus()) && reason.equals(c.getReason()))
                .map(c -> Duration.between(Instant.parse(c.getLastTransitionTime()), clock.instant()))
                .orElse(Duration.ZERO);
        if (lasted.compareTo(FIRST_RETRY) < 0) {
            return FIRST_RETRY;
        }
        return lasted.compareTo(cap) > 0 ? cap : lasted;
    }

    static String toPath(String configMapKey) {
        return configMapKey.replace(CONFIGMAP_PATH_SEPARATOR, "/");
    }

    private static Resolution resolved(ProjectSource source, String revision, Optional<Duration> recheck) {
        try {
            SourceLimits.check(revision != null ? revision : source.revision(), source.totalBytes(),
                    source.files().size());
        } catch (SourceFailure tooLarge) {
            return new Resolution(new StageResult(ConditionTypes.SOURCE_READY, StageResult.Outcome.FAILED_TERMINAL,
                    tooLarge.reason(), tooLarge.getMessage(), recheck), null);
        }
        String summary = source.files().size() + " files, " + source.totalBytes() + " bytes, " + source.digest();
        return new Resolution(new StageResult(ConditionTypes.SOURCE_READY, StageResult.Outcome.SUCCEEDED, "Resolved",
                revision == null ? summary : revision + ": " + summary, recheck), source);
    }
}
