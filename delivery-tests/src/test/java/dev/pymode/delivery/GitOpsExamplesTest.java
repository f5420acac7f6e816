package dev.pymode.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import dev.pymode.delivery.support.Manifests;
import dev.pymode.delivery.support.Repo;
import dev.pymode.devenv.LocalApiServer;
import dev.pymode.devenv.RepositoryLayout;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.Serialization;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Argo CD and Flux examples point at paths that exist and render: the synced directory is a kustomization that
 * yields the worker, the chart values they carry pass the chart's schema, and Flux's references line up. (Argo CD
 * and Flux themselves are not available offline; their objects are checked structurally.)
 */
class GitOpsExamplesTest {

    static final String PLACEHOLDER_REPO = "https://git.example.com/your-org/pymode.git";

    private static List<GenericKubernetesResource> argocd;
    private static List<GenericKubernetesResource> flux;

    @BeforeAll
    static void load() throws IOException {
        argocd = loadDir(Repo.gitops().resolve("argocd"));
        flux = loadDir(Repo.gitops().resolve("flux"));
    }

    @Test
    void argoCdApplicationsSyncExistingPathsFromThePlaceholderRepository() throws Exception {
        List<GenericKubernetesResource> apps = argocd.stream().filter(r -> r.getKind().equals("Application")).toList();
        assertThat(apps).extracting(r -> r.getMetadata().getName())
                .containsExactlyInAnyOrder("hello-worker", "pymode-operator");
        for (GenericKubernetesResource app : apps) {
            assertThat(app.getApiVersion()).isEqualTo("argoproj.io/v1alpha1");
            assertThat((String) app.get("spec", "source", "repoURL")).isEqualTo(PLACEHOLDER_REPO);
            assertThat((String) app.get("spec", "destination", "server")).isEqualTo("https://kubernetes.default.svc");
            assertThat(Repo.root().resolve((String) app.get("spec", "source", "path"))).isDirectory();
        }
        GenericKubernetesResource worker = byName(apps, "hello-worker");
        String rendered = kustomize(Repo.root().resolve((String) worker.get("spec", "source", "path")));
        assertThat(rendered).contains("kind: PyModeWorker", "kind: ConfigMap", "name: hello-worker-source");

        GenericKubernetesResource operator = byName(apps, "pymode-operator");
        assertThat(Repo.root().resolve((String) operator.get("spec", "source", "path")).resolve("Chart.yaml"))
                .isRegularFile();
        Map<String, Object> values = operator.get("spec", "source", "helm", "valuesObject");
        assertThat(renderWithValues(values)).isNotNull();
    }

    @Test
    void fluxObjectsReferenceEachOtherAndExistingPaths() throws Exception {
        GenericKubernetesResource source = single(flux, "GitRepository");
        assertThat(source.getApiVersion()).isEqualTo("source.toolkit.fluxcd.io/v1");
        assertThat((String) source.get("spec", "url")).isEqualTo(PLACEHOLDER_REPO);
        String ignore = source.get("spec", "ignore");
        assertThat(ignore).contains("!/charts/", "!/examples/");

        GenericKubernetesResource kustomization = single(flux, "Kustomization");
        assertThat(kustomization.getApiVersion()).isEqualTo("kustomize.toolkit.fluxcd.io/v1");
        assertThat((String) kustomization.get("spec", "sourceRef", "name")).isEqualTo(source.getMetadata().getName());
        assertThat((Boolean) kustomization.get("spec", "wait")).isTrue();
        // Plain kstatus counts a worker without status as Current: the example checks workers by their conditions.
        List<Map<String, Object>> health = kustomization.get("spec", "healthCheckExprs");
        assertThat(health).singleElement().satisfies(h -> {
            assertThat(h).containsEntry("apiVersion", "pymode.dev/v1alpha1").containsEntry("kind", "PyModeWorker");
            assertThat((String) h.get("current")).contains("'Ready'");
            assertThat((String) h.get("failed")).contains("'Stalled'");
            assertThat((String) h.get("inProgress")).contains("'Reconciling'");
        });
        Path path = Repo.root().resolve(((String) kustomization.get("spec", "path")).replaceFirst("^\\./", ""));
        assertThat(kustomize(path)).contains("kind: PyModeWorker");

        GenericKubernetesResource release = single(flux, "HelmRelease");
        assertThat(release.getApiVersion()).isEqualTo("helm.toolkit.fluxcd.io/v2");
        assertThat((String) release.get("spec", "chart", "spec", "sourceRef", "name"))
                .isEqualTo(source.getMetadata().getName());
        Path chart = Repo.root().resolve(((String) release.get("spec", "chart", "spec", "chart"))
                .replaceFirst("^\\./", ""));
        assertThat(chart).isEqualTo(Repo.chart());
        Map<String, Object> values = release.get("spec", "values");
        assertThat(renderWithValues(values)).isNotNull();
    }

    @Test
    void readmeExplainsThePlaceholder() throws IOException {
        assertThat(Files.readString(Repo.gitops().resolve("README.md"))).contains(PLACEHOLDER_REPO);
    }

    private static Deployment renderWithValues(Map<String, Object> values) throws IOException {
        Path file = Files.createTempFile("values", ".yaml");
        try {
            Files.writeString(file, Serialization.asYaml(values));
            return Manifests.render(file).single(Deployment.class);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private static String kustomize(Path dir) throws IOException, InterruptedException {
        Path kubectl = RepositoryLayout.kubeApiTestDir().resolve("k8s")
                .resolve(LocalApiServer.KUBERNETES_VERSION + "-linux-amd64").resolve("kubectl");
        Process process = new ProcessBuilder(kubectl.toString(), "kustomize", dir.toString())
                .redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as("kubectl kustomize %s: %s", dir, out).isZero();
        return out;
    }

    private static GenericKubernetesResource byName(List<GenericKubernetesResource> items, String name) {
        return items.stream().filter(i -> i.getMetadata().getName().equals(name)).findFirst().orElseThrow();
    }

    private static GenericKubernetesResource single(List<GenericKubernetesResource> items, String kind) {
        List<GenericKubernetesResource> found = items.stream().filter(i -> i.getKind().equals(kind)).toList();
        assertThat(found).as("%s objects", kind).hasSize(1);
        return found.get(0);
    }

    private static List<GenericKubernetesResource> loadDir(Path dir) throws IOException {
        List<GenericKubernetesResource> items = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                try (InputStream in = Files.newInputStream(file)) {
                    items.add(Serialization.unmarshal(in, GenericKubernetesResource.class));
                }
            }
        }
        return items;
    }
}
