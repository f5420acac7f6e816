package dev.pymode.operator.builds;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.pymode.operator.config.PyModeConfig;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.smallrye.config.SmallRyeConfigBuilder;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The builder Job as the operator writes it, from the settings alone (no API server): locked down (non-root,
 * read-only root filesystem, no privilege escalation or capabilities, no service-account token, no service
 * links), bounded (requests, limits, workspace size, deadline, TTL, no retries by the Job controller), the
 * project mounted read-only, the builder's argv as given, and credentials only by reference.
 */
@Tag("unit")
class BuilderJobSpecTest {

    private static PyModeConfig config(Map<String, String> extra) {
        Map<String, String> values = new HashMap<>(Map.of(
                "pymode.registry.host", "registry.example",
                "pymode.runtime.ref", "registry.example/pymode/runtime@sha256:" + "1".repeat(64),
                "pymode.builder.image", "registry.example/pymode/builder@sha256:" + "2".repeat(64)));
        values.putAll(extra);
        return new SmallRyeConfigBuilder().withMapping(PyModeConfig.class).withDefaultValues(values).build()
                .getConfigMapping(PyModeConfig.class);
    }

    private static Job job(Map<String, String> settings) {
        var sources = new TreeMap<String, byte[]>(Map.of("src/entry.py", new byte[] {1}, "src/lib/x.py", new byte[] {2}));
        var request = new BuildRequest("team-a", "build-w-123", new OwnerReferenceBuilder().withKind("PyModeWorker")
                .withName("w").withUid("uid-1").withApiVersion("pymode.dev/v1alpha1").build(),
                Map.of(BuildLabels.OWNER_NAME, "w"), "worker", sources, List.of("--entry=src/entry.py",
                "--package=-r evil"));
        // the Job is written from the request and the settings: no call to the API server is needed
        return new JobBuildExecutor(null, config(settings)).job(request);
    }

    private static Container builder(Job job) {
        return job.getSpec().getTemplate().getSpec().getContainers().get(0);
    }

    @Test
    void theBuilderRunsLockedDown() {
        Job job = job(Map.of());
        PodSpec pod = job.getSpec().getTemplate().getSpec();
        assertThat(pod.getAutomountServiceAccountToken()).isFalse();
        assertThat(pod.getEnableServiceLinks()).isFalse();
        assertThat(pod.getRestartPolicy()).isEqualTo("Never");
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(pod.getSecurityContext().getRunAsUser()).isEqualTo(65532L);
        assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
        assertThat(pod.getContainers()).hasSize(1);
        var container = builder(job).getSecurityContext();
        assertThat(container.getReadOnlyRootFilesystem()).isTrue();
        assertThat(container.getAllowPrivilegeEscalation()).isFalse();
        assertThat(container.getRunAsNonRoot()).isTrue();
        assertThat(container.getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(container.getCapabilities().getAdd()).isNullOrEmpty();
    }

    @Test
    void theBuilderIsBoundedBySettings() {
        Job job = job(Map.of("pymode.builder.cpu-limit", "3", "pymode.builder.memory-limit", "6Gi",
                "pymode.builder.workspace-size", "8Gi", "pymode.builder.active-deadline", "PT20M",
                "pymode.builder.ttl-after-finished", "PT5M"));
        var resources = builder(job).getResources();
        assertThat(resources.getRequests()).containsEntry("cpu", new Quantity("500m")).containsEntry("memory",
                new Quantity("1Gi"));
        assertThat(resources.getLimits()).containsEntry("cpu", new Quantity("3")).containsEntry("memory",
                new Quantity("6Gi")).containsEntry("ephemeral-storage", new Quantity("8Gi"));
        assertThat(job.getSpec().getActiveDeadlineSeconds()).isEqualTo(1200L);
        assertThat(job.getSpec().getTtlSecondsAfterFinished()).isEqualTo(300);
        // the operator retries (with its own backoff and attempt count), not the Job controller
        assertThat(job.getSpec().getBackoffLimit()).isZero();
        Volume workspace = volume(job, "workspace");
        assertThat(workspace.getEmptyDir().getSizeLimit()).isEqualTo(new Quantity("8Gi"));
    }

    @Test
    void theBuilderGetsItsArgvAsGivenAndTheProjectReadOnly() {
        Job job = job(Map.of());
        assertThat(builder(job).getCommand()).containsExactly("python3", JobBuildExecutor.PROGRAM, "worker",
                "--source", JobBuildExecutor.SOURCE_DIR, "--entry=src/entry.py", "--package=-r evil");
        assertThat(builder(job).getImage()).isEqualTo("registry.example/pymode/builder@sha256:" + "2".repeat(64));
        var source = volume(job, "source").getConfigMap();
        assertThat(source.getName()).isEqualTo("build-w-123-source");
        assertThat(source.getItems()).extracting(i -> i.getKey() + "->" + i.getPath())
                .containsExactly("f0->src/entry.py", "f1->src/lib/x.py");
        assertThat(builder(job).getVolumeMounts()).filteredOn(m -> m.getName().equals("source"))
                .singleElement().satisfies(m -> {
                    assertThat(m.getMountPath()).isEqualTo(JobBuildExecutor.SOURCE_DIR);
                    assertThat(m.getReadOnly()).isTrue();
                });
        assertThat(job.getMetadata().getOwnerReferences()).extracting(o -> o.getUid()).containsExactly("uid-1");
        assertThat(job.getSpec().getTemplate().getMetadata().getLabels()).containsEntry(BuildLabels.OWNER_NAME, "w");
    }

    @Test
    void credentialsReachTheBuilderOnlyByReference() {
        Job job = job(Map.of("pymode.registry.push-secret", "registry-push",
                "pymode.builder.package-index-url", "https://pypi.internal/simple",
                "pymode.builder.package-index-credentials-secret", "index-creds"));
        Map<String, EnvVar> env = new HashMap<>();
        builder(job).getEnv().forEach(e -> env.put(e.getName(), e));
        assertThat(env.get(BuilderCommand.ENV_PACKAGE_INDEX_URL).getValue()).isEqualTo("https://pypi.internal/simple");
        for (String name : List.of(BuilderCommand.ENV_PACKAGE_INDEX_USERNAME, BuilderCommand.ENV_PACKAGE_INDEX_PASSWORD)) {
            assertThat(env.get(name).getValue()).as(name).isNull();
            assertThat(env.get(name).getValueFrom().getSecretKeyRef().getName()).isEqualTo("index-creds");
        }
        assertThat(volume(job, "registry-auth").getSecret().getSecretName()).isEqualTo("registry-push");
        assertThat(env.get("DOCKER_CONFIG").getValue()).isEqualTo("/registry-auth");
    }

    @Test
    void withoutAnIndexOrPushSecretNothingOfThemIsMounted() {
        Job job = job(Map.of());
        assertThat(builder(job).getEnv()).extracting(EnvVar::getName).doesNotContain(
                BuilderCommand.ENV_PACKAGE_INDEX_URL, BuilderCommand.ENV_PACKAGE_INDEX_USERNAME, "DOCKER_CONFIG");
        assertThat(job.getSpec().getTemplate().getSpec().getVolumes()).extracting(Volume::getName)
                .containsExactly("workspace", "tmp", "source");
    }

    private static Volume volume(Job job, String name) {
        return job.getSpec().getTemplate().getSpec().getVolumes().stream().filter(v -> v.getName().equals(name))
                .findFirst().orElseThrow();
    }
}
