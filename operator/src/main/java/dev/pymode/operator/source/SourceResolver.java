package dev.pymode.operator.source;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.pymode.operator.api.v1alpha1.worker.InlineFile;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorker;
import dev.pymode.operator.api.v1alpha1.worker.WorkerSource;
import dev.pymode.operator.status.ConditionTypes;
import dev.pymode.operator.status.StageResult;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;

/** Resolves a worker's source into files and a digest; the {@code SourceReady} stage. */
public class SourceResolver {

    /** ConfigMap keys cannot hold '/', so nested paths are written with this separator. */
    public static final String CONFIGMAP_PATH_SEPARATOR = "--";

    private static final Duration CONFIGMAP_RECHECK = Duration.ofSeconds(30);

    private final KubernetesClient client;

    public SourceResolver(KubernetesClient client) {
        this.client = client;
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
            return resolved(new ProjectSource(files, "inline@generation-" + worker.getMetadata().getGeneration()));
        }
        if (source.getConfigMapRef() != null) {
            return fromConfigMap(worker, source.getConfigMapRef().getName());
        }
        String kind = source.getGit() != null ? "git" : "oci";
        return new Resolution(StageResult.terminalFailure(ConditionTypes.SOURCE_READY, "SourceKindUnavailable",
                "source kind '" + kind + "' is not available in this operator version; use inline or configMapRef"),
                null);
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
        return resolved(new ProjectSource(files, revision));
    }

    static String toPath(String configMapKey) {
        return configMapKey.replace(CONFIGMAP_PATH_SEPARATOR, "/");
    }

    private static Resolution resolved(ProjectSource source) {
        return new Resolution(StageResult.succeeded(ConditionTypes.SOURCE_READY, "Resolved",
                source.files().size() + " files, " + source.totalBytes() + " bytes, " + source.digest()), source);
    }
}
