package dev.pymode.operator.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import dev.pymode.devenv.LocalApiServer;
import dev.pymode.operator.support.Kubectl;
import dev.pymode.operator.support.TestPaths;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The generated CRDs on a real kube-apiserver: valid resources are accepted, and each CEL / schema rule
 * refuses what it should with its own message.
 */
@Tag("apiserver")
class CrdValidationTest {

    private static final String NS = "crd-validation";
    private static LocalApiServer server;
    private static KubernetesClient client;
    private static Kubectl kubectl;

    @BeforeAll
    static void startApiServer(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        server = new LocalApiServer().start();
        client = server.newClient();
        LocalApiServer.applyCrds(client, TestPaths.generatedCrds());
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build())
                .create();
        kubectl = new Kubectl(server.kubectl(), server.writeKubeConfig(tmp.resolve("kubeconfig")));
    }

    @AfterAll
    static void stopApiServer() {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void examplesAreAccepted() throws Exception {
        String rendered = kubectl.run("kustomize", TestPaths.examples().toString());
        List<HasMetadata> items = client.load(new ByteArrayInputStream(rendered.getBytes(StandardCharsets.UTF_8)))
                .items();
        assertThat(items).extracting(HasMetadata::getKind).contains("PyModeWorker", "ConfigMap");
        for (HasMetadata item : items) {
            client.resource(item).inNamespace(NS).create();
        }
        assertThat(client.genericKubernetesResources("pymode.dev/v1alpha1", "PyModeWorker").inNamespace(NS).list()
                .getItems()).extracting(r -> r.getMetadata().getName()).contains("hello-worker", "api-worker");
    }

    @Test
    void sourceExamplesAreAccepted() throws Exception {
        for (String example : List.of("git-worker.yaml", "git-ssh-worker.yaml", "oci-worker.yaml")) {
            create(readExample("sources/" + example));
        }
        assertThat(client.genericKubernetesResources("pymode.dev/v1alpha1", "PyModeWorker").inNamespace(NS).list()
                .getItems()).extracting(r -> r.getMetadata().getName())
                .contains("hello-from-git", "hello-from-git-ssh", "hello-from-oci");
    }

    @Test
    void fullyFeaturedResourcesAreAccepted() {
        create(Cases.worker("full-worker", """
                source:
                  inline:
                    files:
                      - path: src/entry.py
                        content: "def on_fetch(request, env): pass"
                      - path: src/utils/__init__.py
                        content: ""
                entry: src/entry.py
                packages: ["jinja2==3.1.4"]
                extensions: [{name: markupsafe}]
                wizer: true
                bindings:
                  kv: [{name: MY_KV, namespace: data}]
                  r2: [{name: FILES, bucket: my-files}]
                  d1: [{name: DB, database: main}]
                  queues: [{name: JOBS, queue: jobs}]
                  services: [{name: AUTH, service: auth-worker}, {name: ADMIN, service: auth-worker, entrypoint: AdminApi}]
                  vars: {GREETING: hello}
                  secrets: [{name: API_KEY, secretKeyRef: {name: creds, key: token}}]
                queueConsumers:
                  - {queue: orders, batchSize: 50, maxRetries: 5, maxWaitTimeMs: 2000, deadLetterQueue: orders-dlq}
                  - {queue: jobs}
                crons: ["*/15 * * * *", "@daily", "0 9 * * MON-FRI", "30 2 1-7 JAN,JUL SUN"]
                cloudflare:
                  accountId: 0123456789abcdef0123456789abcdef
                  apiTokenSecretRef: {name: cf, key: token}
                  scriptName: full-worker-1
                  routes: [{pattern: "example.com/api/*", zoneName: example.com}]
                  compatibilityDate: "2026-11-01"
                  compatibilityFlags: [nodejs_compat]
                  rollout: {percentage: 25}
                """));
        create(Cases.worker("git-worker", """
                source:
                  git:
                    url: ssh://git@github.com:22/org/app.git
                    ref: feature/new-ui
                    path: services/api
                    interval: 1h30m
                    credentialsSecretRef: {name: deploy-key, key: identity}
                """));
        create(Cases.worker("git-sha-worker", """
                source:
                  git: {url: "https://x-access-token@github.com/org/app.git", ref: %s}
                """.formatted("0123456789abcdef".repeat(2) + "01234567")));
        create(Cases.worker("oci-worker", """
                source:
                  oci:
                    ref: ghcr.io/org/app@sha256:%s
                    pullSecretRef: {name: ghcr-pull}
                    interval: 30s
                """.formatted("a".repeat(64))));
        create(Cases.resource("PyModeExtension", "yaml-ext", """
                inline:
                  name: pyyaml
                  version: "6.0.4"
                  source: {pypi: pyyaml, filename: pyyaml-6.0.4.tar.gz, sha256: %s}
                  extra_sources: [{url: "https://deb.debian.org/libyaml.tar.gz", filename: libyaml.tar.gz,
                                   sha256: %s, dest: libyaml}]
                  patches: [patches/pyyaml/fix.patch]
                  includes: [libyaml/include]
                  cflags: [-O2]
                  modules: {yaml._yaml: {init: PyInit__yaml, sources: [yaml/_yaml.pyx], cflags: [-DYAML_DECLARE_STATIC]}}
                  packages: {yaml: lib/yaml}
                  depends: [idna]
                  test: "import yaml"
                """.formatted("a".repeat(64), "b".repeat(64))));
        create(Cases.resource("PyModeExtension", "numpy-ext", """
                inline:
                  name: numpy
                  version: "2.5.5"
                  source: {pypi: numpy, filename: numpy-2.5.5.tar.gz, sha256: %s}
                  patches: [patches/numpy/wasm-signatures.patch]
                  meson:
                    meson: vendored-meson/meson/meson.py
                    options: [-Dblas=none, -Dcpu-dispatch=none]
                    properties: {longdouble_format: IEEE_QUAD_LE}
                    install_tags: [runtime, python-runtime]
                  modules: {numpy._core._multiarray_umath: {init: PyInit__multiarray_umath}}
                """.formatted("c".repeat(64))));
        create(Cases.resource("PyModeWorkflow", "orders", """
                workerRef: {name: full-worker}
                workflow: process-order
                schedule: "*/15 * * * *"
                input: {order: 42, items: [1, 2]}
                retry: {retries: 2, backoffSeconds: 0.5}
                concurrencyPolicy: Replace
                """));
    }

    static Stream<Arguments> invalidResources() {
        return Cases.invalid();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidResources")
    void invalidResourcesAreRefusedWithTheirMessage(String description, String yaml, String expectedMessage) {
        assertThatThrownBy(() -> create(yaml))
                .as(description)
                .isInstanceOf(KubernetesClientException.class)
                .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(422))
                .hasMessageContaining(expectedMessage);
    }

    @Test
    void kubectlExplainShowsTheFieldDocumentation() throws Exception {
        // kubectl wraps descriptions at 80 columns, so compare with whitespace collapsed
        String spec = kubectl.run("explain", "pymodeworker.spec").replaceAll("\\s+", " ");
        assertThat(spec).contains("Where the Python project comes from: exactly one of inline, configMapRef, git or oci.");
        assertThat(spec).contains("bindings").contains("cloudflare").contains("wizer");
        String name = kubectl.run("explain", "pymodeworker.spec.bindings.kv.name").replaceAll("\\s+", " ");
        assertThat(name).contains("the attribute on `env`");
        String git = kubectl.run("explain", "pymodeworker.spec.source.git.credentialsSecretRef").replaceAll("\\s+", " ");
        assertThat(git).contains("`username:password`").contains("`known_hosts`");
        String revision = kubectl.run("explain", "pymodeworker.status.sourceRevision").replaceAll("\\s+", " ");
        assertThat(revision).contains("git:<url>@<ref>:<commit sha>");
        String runs = kubectl.run("explain", "pymodeworkflow.status.runs").replaceAll("\\s+", " ");
        assertThat(runs).contains("Recent runs, newest first.");
    }

    private static void create(String yaml) {
        for (HasMetadata item : client.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).items()) {
            client.resource(item).inNamespace(NS).create();
        }
    }

    static String readExample(String path) throws Exception {
        return Files.readString(TestPaths.examples().resolve(path));
    }
}
