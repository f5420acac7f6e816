package dev.pymode.operator.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.pymode.operator.api.v1alpha1.common.LocalObjectReference;
import dev.pymode.operator.api.v1alpha1.common.SecretKeyReference;
import dev.pymode.operator.api.v1alpha1.worker.GitSource;
import dev.pymode.operator.api.v1alpha1.worker.OciSource;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorker;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorkerSpec;
import dev.pymode.operator.api.v1alpha1.worker.WorkerSource;
import dev.pymode.operator.status.Conditions;
import dev.pymode.devenv.GitRepo;
import dev.pymode.operator.support.Namespaces;
import dev.pymode.operator.support.OciPush;
import dev.pymode.operator.support.SourceServersResource;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * git and OCI sources as the operator resolves them against a real API server, a real git server and a real
 * registry on loopback: what SourceReady and status.sourceRevision say, and how they follow the remote.
 */
@QuarkusTest
@QuarkusTestResource(value = SourceServersResource.class, restrictToAnnotatedClass = true)
@Tag("apiserver")
class SourceKindsTest {

    private static final String NS = "sources";
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @Inject
    KubernetesClient client;

    @BeforeEach
    void namespace() {
        Namespaces.ensure(client, NS);
    }

    private static Map<String, String> project(String greeting) {
        Map<String, String> files = new LinkedHashMap<>();
        files.put("app/src/entry.py", "from pymode.workers import Response\n\ndef on_fetch(request, env):\n"
                + "    return Response('" + greeting + "')\n");
        files.put("app/pyproject.toml", "[project]\nname = 'app'\n");
        files.put("README.md", "not part of the project\n");
        return files;
    }

    private PyModeWorker apply(String name, WorkerSource source) {
        var spec = new PyModeWorkerSpec();
        spec.setSource(source);
        var worker = new PyModeWorker();
        worker.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NS).build());
        worker.setSpec(spec);
        return client.resource(worker).serverSideApply();
    }

    private static WorkerSource git(String url, String ref, String path, SecretKeyReference credentials) {
        var git = new GitSource();
        git.setUrl(url);
        git.setRef(ref);
        git.setPath(path);
        git.setInterval("2s");
        git.setCredentialsSecretRef(credentials);
        var source = new WorkerSource();
        source.setGit(git);
        return source;
    }

    private static WorkerSource oci(String ref, String pullSecret) {
        var oci = new OciSource();
        oci.setRef(ref);
        oci.setInterval("2s");
        oci.setPullSecretRef(pullSecret == null ? null : new LocalObjectReference(pullSecret));
        var source = new WorkerSource();
        source.setOci(oci);
        return source;
    }

    private PyModeWorker get(String name) {
        return client.resources(PyModeWorker.class).inNamespace(NS).withName(name).get();
    }

    private Condition awaitCondition(String name, String type, String reason) {
        return await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(300)).until(() -> {
            PyModeWorker worker = get(name);
            return worker == null || worker.getStatus() == null ? null : Conditions
                    .find(worker.getStatus().getConditions(), type).filter(c -> reason.equals(c.getReason()))
                    .orElse(null);
        }, c -> c != null);
    }

    private void secret(String name, Map<String, String> data, String type) {
        var builder = new SecretBuilder().withNewMetadata().withName(name).withNamespace(NS).endMetadata();
        data.forEach((k, v) -> builder.addToData(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))));
        if (type != null) {
            builder.withType(type);
        }
        client.resource(builder.build()).serverSideApply();
    }

    @Test
    void aGitBranchResolvesToItsCommitAndANewCommitToANewDigest() throws Exception {
        GitRepo repo = GitRepo.create(SourceServersResource.git.root(), "hello.git");
        String first = repo.commit("main", "first", project("Hello"));
        String url = SourceServersResource.git.url("hello.git");
        apply("from-git", git(url, "main", "app", null));

        Condition ready = awaitCondition("from-git", "SourceReady", "Resolved");
        assertThat(ready.getStatus()).isEqualTo("True");
        assertThat(ready.getMessage()).contains("git:" + url + "@main:" + first).contains("2 files")
                .contains("entry src/entry.py");
        PyModeWorker worker = get("from-git");
        assertThat(worker.getStatus().getSourceRevision()).isEqualTo("git:" + url + "@main:" + first);
        String firstDigest = worker.getStatus().getSourceDigest();

        String second = repo.commit("main", "second", project("Hello again"));
        PyModeWorker updated = await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(300))
                .until(() -> get("from-git"), w -> w.getStatus().getSourceRevision().endsWith(second));
        assertThat(updated.getStatus().getSourceDigest()).isNotEqualTo(firstDigest);
        assertThat(Conditions.find(updated.getStatus().getConditions(), "SourceReady").orElseThrow().getMessage())
                .contains(second);
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(client.v1().events().inNamespace(NS).list().getItems())
                .anySatisfy(e -> {
                    assertThat(e.getInvolvedObject().getName()).isEqualTo("from-git");
                    assertThat(e.getReason()).isEqualTo("SourceUpdated");
                    assertThat(e.getMessage()).contains(first + " -> git:").endsWith(second);
                }));
    }

    @Test
    void aWrongRefStallsNamingTheRefAndTheRepository() throws Exception {
        GitRepo.create(SourceServersResource.git.root(), "refs.git").commit("main", "first", project("x"));
        String url = SourceServersResource.git.url("refs.git");
        apply("wrong-ref", git(url, "no-such-branch", "app", null));

        Condition source = awaitCondition("wrong-ref", "SourceReady", "GitRefNotFound");
        assertThat(source.getStatus()).isEqualTo("False");
        assertThat(source.getMessage()).contains("'no-such-branch'").contains(url).contains("branches: main");
        assertThat(awaitCondition("wrong-ref", "Stalled", "GitRefNotFound").getStatus()).isEqualTo("True");

        apply("wrong-path", git(url, "main", "services/api", null));
        assertThat(awaitCondition("wrong-path", "SourceReady", "PathNotFound").getMessage())
                .contains("no directory 'services/api'");
    }

    @Test
    void badCredentialsGetA401MessageAndAFixedSecretIsPickedUpAtTheNextCheck() throws Exception {
        GitRepo.create(SourceServersResource.git.root(), "private.git").commit("main", "first", project("x"));
        SourceServersResource.git.requireCredentials("private.git", "ada", "right-password-7f3");
        String url = SourceServersResource.git.url("private.git");
        secret("git-creds", Map.of("token", "ada:wrong-password-91c"), null);
        apply("private", git(url, "main", "app", new SecretKeyReference("git-creds", "token")));

        Condition refused = awaitCondition("private", "SourceReady", "AuthenticationFailed");
        assertThat(refused.getMessage()).contains(url).contains("refused the credentials").contains("401");
        assertThat(awaitCondition("private", "Stalled", "AuthenticationFailed").getStatus()).isEqualTo("True");

        secret("git-creds", Map.of("token", "ada:right-password-7f3"), null);
        assertThat(awaitCondition("private", "SourceReady", "Resolved").getStatus()).isEqualTo("True");
        String everything = Serialization.asYaml(get("private"))
                + Serialization.asYaml(client.v1().events().inNamespace(NS).list());
        assertThat(everything).doesNotContain("right-password-7f3").doesNotContain("wrong-password-91c");
    }

    @Test
    void aMissingCredentialsSecretIsWaitedFor() throws Exception {
        GitRepo.create(SourceServersResource.git.root(), "later.git").commit("main", "first", project("x"));
        String url = SourceServersResource.git.url("later.git");
        apply("later-secret", git(url, "main", "app", new SecretKeyReference("not-yet", "token")));

        Condition waiting = awaitCondition("later-secret", "Reconciling", "CredentialsNotFound");
        assertThat(waiting.getMessage()).contains("waiting for Secret sources/not-yet");
        secret("not-yet", Map.of("token", "anything"), null); // the repository is public: any token is ignored
        assertThat(awaitCondition("later-secret", "SourceReady", "Resolved").getStatus()).isEqualTo("True");
    }

    @Test
    void ociSourcesInBothLayoutsResolveToTheirManifestDigestWithEqualSourceDigests() throws Exception {
        String host = SourceServersResource.registry.host();
        Map<String, String> files = Map.of("src/entry.py", "def on_fetch(request, env):\n    return 'oci'\n",
                "pyproject.toml", "[project]\nname = 'oci'\n");
        OciPush.orasFiles(host + "/apps/hello:files", Files.createTempDirectory("oras"), files);
        String fluxDigest = OciPush.flux(host, "apps/hello", "flux", OciPush.tarGz(files));

        apply("oci-files", oci(host + "/apps/hello:files", null));
        apply("oci-flux", oci(host + "/apps/hello:flux", null));
        Condition filesReady = awaitCondition("oci-files", "SourceReady", "Resolved");
        Condition fluxReady = awaitCondition("oci-flux", "SourceReady", "Resolved");
        assertThat(filesReady.getMessage()).contains("oci:" + host + "/apps/hello:files@sha256:").contains("2 files");
        assertThat(fluxReady.getMessage()).contains("oci:" + host + "/apps/hello:flux@" + fluxDigest);
        assertThat(get("oci-flux").getStatus().getSourceRevision())
                .isEqualTo("oci:" + host + "/apps/hello:flux@" + fluxDigest);
        assertThat(get("oci-files").getStatus().getSourceDigest()).as("equal content, equal digest")
                .isEqualTo(get("oci-flux").getStatus().getSourceDigest());

        apply("oci-missing", oci(host + "/apps/hello:v9", null));
        assertThat(awaitCondition("oci-missing", "SourceReady", "ArtifactNotFound").getMessage())
                .contains("manifest " + host + "/apps/hello:v9 not found");
    }

    @Test
    void aPullSecretWithoutAnEntryForTheRegistrySaysSo() {
        String host = SourceServersResource.registry.host();
        secret("pull", Map.of(".dockerconfigjson", "{\"auths\":{\"ghcr.io\":{\"auth\":\"" + Base64.getEncoder()
                .encodeToString("u:p".getBytes(StandardCharsets.UTF_8)) + "\"}}}"), "kubernetes.io/dockerconfigjson");
        apply("oci-pull", oci(host + "/apps/hello:files", "pull"));
        assertThat(awaitCondition("oci-pull", "SourceReady", "InvalidCredentials").getMessage())
                .contains("Secret sources/pull has no credentials for registry " + host);
    }
}
