package dev.pymode.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.Release;
import dev.pymode.delivery.support.Manifests;
import dev.pymode.delivery.support.OperatorProcess;
import dev.pymode.delivery.support.Repo;
import dev.pymode.devenv.LocalApiServer;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chart against a real kube-apiserver: every rendered manifest passes server-side dry-run, helm install
 * really installs it, the CRDs it brings accept a PyModeWorker, and the RBAC grants the operator's service
 * account exactly what the operator does (checked with SubjectAccessReviews and real impersonated calls).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ChartInstallTest {

    private static final String DEFAULT_NS = "pymode-system";
    private static final String HA_NS = "pymode-ha";
    /** A release with leader election turned off: one replica, no Lease. */
    private static final String SINGLE_NS = "pymode-single";
    private static final String APPS_NS = "apps";
    private static final Map<String, Object> HA_VALUES = Map.of("replicaCount", 2,
            "watchNamespaces[0]", "team-a", "watchNamespaces[1]", "team-b");
    private static final Map<String, Object> SINGLE_VALUES = Map.of("leaderElection.enabled", false,
            "watchNamespaces[0]", APPS_NS, "logJson", true);

    private static LocalApiServer server;
    private static KubernetesClient client;
    private static Path kubeconfig;

    @BeforeAll
    static void startApiServer(@TempDir Path tmp) throws IOException {
        server = new LocalApiServer().start();
        client = server.newClient();
        kubeconfig = server.writeKubeConfig(tmp.resolve("kubeconfig"));
        for (String ns : List.of(DEFAULT_NS, HA_NS, SINGLE_NS, APPS_NS, "team-a", "team-b", "elsewhere")) {
            client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
                    .create();
        }
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
    @Order(1)
    void everyRenderedManifestPassesServerSideDryRun() throws IOException {
        List<HasMetadata> crds = chartCrds();
        assertThat(crds).extracting(HasMetadata::getKind).containsOnly("CustomResourceDefinition").hasSize(3);
        for (HasMetadata crd : crds) {
            assertThat(client.resource(crd).dryRun().serverSideApply().getMetadata().getName())
                    .isEqualTo(crd.getMetadata().getName());
        }
        assertThat(client.apiextensions().v1().customResourceDefinitions().withName("pymodeworkers.pymode.dev").get())
                .as("dry-run must not persist anything").isNull();

        for (Map<String, Object> values : List.of(Map.<String, Object>of(), HA_VALUES, SINGLE_VALUES)) {
            Manifests manifests = Manifests.render(values);
            for (HasMetadata item : manifests.all()) {
                HasMetadata accepted = client.resource(item).dryRun().serverSideApply();
                assertThat(accepted.getMetadata().getName()).isEqualTo(item.getMetadata().getName());
            }
        }
        assertThat(client.apps().deployments().inNamespace(Manifests.NAMESPACE).list().getItems()).isEmpty();
    }

    @Test
    @Order(2)
    void helmInstallsTheChart() {
        Release release = new Helm(Repo.chart()).install().withName("pymode").withNamespace(DEFAULT_NS)
                .withKubeConfig(kubeconfig).call();
        assertThat(release.getStatus()).isEqualTo("deployed");
        Release ha = new Helm(Repo.chart()).install().withName("pymode-ha").withNamespace(HA_NS)
                .withKubeConfig(kubeconfig).set("replicaCount", 2).set("watchNamespaces[0]", "team-a")
                .set("watchNamespaces[1]", "team-b").call();
        assertThat(ha.getStatus()).isEqualTo("deployed");
        Release single = new Helm(Repo.chart()).install().withName("pymode-single").withNamespace(SINGLE_NS)
                .withKubeConfig(kubeconfig).set("leaderElection.enabled", false)
                .set("watchNamespaces[0]", APPS_NS).call();
        assertThat(single.getStatus()).isEqualTo("deployed");

        for (String name : List.of("pymodeworkers.pymode.dev", "pymodeextensions.pymode.dev",
                "pymodeworkflows.pymode.dev")) {
            CustomResourceDefinition crd = client.apiextensions().v1().customResourceDefinitions().withName(name)
                    .waitUntilCondition(c -> c != null && c.getStatus() != null && c.getStatus().getConditions()
                            .stream().anyMatch(x -> "Established".equals(x.getType()) && "True".equals(x.getStatus())),
                            30, TimeUnit.SECONDS);
            assertThat(crd.getSpec().getGroup()).isEqualTo("pymode.dev");
        }
        Deployment deployment = client.apps().deployments().inNamespace(DEFAULT_NS).withName("pymode-pymode-operator")
                .get();
        assertThat(deployment).isNotNull();
        assertThat(deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getSecurityContext()
                .getReadOnlyRootFilesystem()).isTrue();
        assertThat(client.serviceAccounts().inNamespace(DEFAULT_NS).withName("pymode-pymode-operator").get())
                .isNotNull();
        assertThat(client.rbac().clusterRoles().withName("pymode-pymode-operator").get()).isNotNull();
        assertThat(client.rbac().roles().inNamespace("team-a").withName("pymode-ha-pymode-operator").get())
                .isNotNull();
        assertThat(client.rbac().roles().inNamespace(HA_NS).withName("pymode-ha-pymode-operator-leader-election")
                .get()).isNotNull();
        assertThat(client.rbac().roles().inNamespace(DEFAULT_NS).withName("pymode-pymode-operator-leader-election")
                .get()).as("leader election is on by default").isNotNull();
        assertThat(client.rbac().roles().inNamespace(SINGLE_NS).list().getItems()).isEmpty();
    }

    @Test
    @Order(3)
    void installedCrdsAcceptAWorkerAndRefuseAnInvalidOne() throws IOException {
        GenericKubernetesResource worker = load(Repo.examples().resolve("hello-worker/worker.yaml"));
        GenericKubernetesResource created = client.resource(worker).inNamespace(APPS_NS).create();
        assertThat(created.getMetadata().getGeneration()).isEqualTo(1L);
        assertThat(client.genericKubernetesResources("pymode.dev/v1alpha1", "PyModeWorker").inNamespace(APPS_NS)
                .withName("hello-worker").get()).isNotNull();

        GenericKubernetesResource invalid = load(Repo.examples().resolve("hello-worker/worker.yaml"));
        invalid.getMetadata().setName("two-sources");
        @SuppressWarnings("unchecked")
        Map<String, Object> source = (Map<String, Object>) ((Map<String, Object>) invalid.getAdditionalProperties()
                .get("spec")).get("source");
        source.put("oci", Map.of("ref", "registry.example/p@sha256:" + "a".repeat(64)));
        assertThatThrownBy(() -> client.resource(invalid).inNamespace(APPS_NS).create())
                .isInstanceOf(KubernetesClientException.class)
                .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(422));
    }

    @Test
    @Order(4)
    void clusterWideServiceAccountMayDoWhatTheOperatorDoesAndNoMore() {
        String user = serviceAccountUser(DEFAULT_NS, "pymode-pymode-operator");
        for (String[] op : operatorOperations()) {
            assertThat(allowed(user, APPS_NS, op)).as("%s may %s", user, String.join(" ", op)).isTrue();
        }
        for (String[] op : forbiddenOperations()) {
            assertThat(allowed(user, APPS_NS, op)).as("%s must not %s", user, String.join(" ", op)).isFalse();
        }
        assertLeaseAccessIsExactly(user, DEFAULT_NS, "pymode-pymode-operator");
    }

    @Test
    @Order(5)
    void withoutLeaderElectionTheServiceAccountHasNoLeaseAccess() {
        String user = serviceAccountUser(SINGLE_NS, "pymode-single-pymode-operator");
        for (String[] op : operatorOperations()) {
            assertThat(allowed(user, APPS_NS, op)).as("%s may %s", user, String.join(" ", op)).isTrue();
        }
        for (String verb : List.of("create", "get", "update", "patch")) {
            assertThat(allowedNamed(user, SINGLE_NS, verb, "coordination.k8s.io", "leases",
                    "pymode-single-pymode-operator")).as("%s must not %s its Lease", user, verb).isFalse();
        }
    }

    @Test
    @Order(6)
    void namespacedServiceAccountIsLimitedToItsNamespacesAndItsLease() {
        String user = serviceAccountUser(HA_NS, "pymode-ha-pymode-operator");
        for (String ns : List.of("team-a", "team-b")) {
            for (String[] op : operatorOperations()) {
                assertThat(allowed(user, ns, op)).as("%s may %s in %s", user, String.join(" ", op), ns).isTrue();
            }
        }
        for (String[] op : operatorOperations()) {
            assertThat(allowed(user, "elsewhere", op)).as("%s must not %s in elsewhere", user, String.join(" ", op))
                    .isFalse();
        }
        assertLeaseAccessIsExactly(user, HA_NS, "pymode-ha-pymode-operator");
    }

    /**
     * What leader election does with the Lease, and nothing more: Java Operator SDK checks create, get and update
     * before it starts; Fabric8's LeaderElector gets, creates, and takes and renews the Lease with merge patches.
     */
    private static void assertLeaseAccessIsExactly(String user, String namespace, String lease) {
        assertThat(allowed(user, namespace, new String[] {"create", "coordination.k8s.io", "leases", ""})).isTrue();
        for (String verb : List.of("get", "update", "patch")) {
            assertThat(allowedNamed(user, namespace, verb, "coordination.k8s.io", "leases", lease))
                    .as("%s may %s %s", user, verb, lease).isTrue();
            assertThat(allowedNamed(user, namespace, verb, "coordination.k8s.io", "leases", "someone-elses-lease"))
                    .as("%s must not %s another Lease", user, verb).isFalse();
        }
        for (String verb : List.of("delete", "list", "watch")) {
            assertThat(allowedNamed(user, namespace, verb, "coordination.k8s.io", "leases", lease))
                    .as("%s must not %s %s", user, verb, lease).isFalse();
        }
        assertThat(allowed(user, APPS_NS, new String[] {"create", "coordination.k8s.io", "leases", ""}))
                .as("Leases only in the release namespace").isFalse();
    }

    @Test
    @Order(7)
    void impersonatedOperatorWritesStatusAndEventsButCannotListSecrets() {
        Config config = new ConfigBuilder(Config.fromKubeconfig(server.kubeConfigYaml()))
                .withImpersonateUsername(serviceAccountUser(DEFAULT_NS, "pymode-pymode-operator"))
                .withImpersonateGroups("system:serviceaccounts", "system:serviceaccounts:" + DEFAULT_NS,
                        "system:authenticated")
                .build();
        try (KubernetesClient operator = new KubernetesClientBuilder().withConfig(config).build()) {
            var workers = operator.genericKubernetesResources("pymode.dev/v1alpha1", "PyModeWorker");
            GenericKubernetesResource worker = workers.inNamespace(APPS_NS).withName("hello-worker").get();
            assertThat(worker).isNotNull();
            worker.getAdditionalProperties().put("status", Map.of("observedGeneration", 1, "conditions", List.of(
                    Map.of("type", "Ready", "status", "False", "reason", "BuilderUnavailable",
                            "message", "Built: set by the delivery test", "lastTransitionTime", "2026-01-01T00:00:00Z",
                            "observedGeneration", 1))));
            GenericKubernetesResource patched = workers.inNamespace(APPS_NS).resource(worker).updateStatus();
            assertThat(Serialization.asYaml(patched.getAdditionalProperties().get("status")))
                    .contains("BuilderUnavailable");

            operator.v1().events().inNamespace(APPS_NS).resource(new io.fabric8.kubernetes.api.model.EventBuilder()
                    .withNewMetadata().withName("hello-worker.delivery").withNamespace(APPS_NS).endMetadata()
                    .withNewInvolvedObject().withApiVersion("pymode.dev/v1alpha1").withKind("PyModeWorker")
                    .withName("hello-worker").withNamespace(APPS_NS).endInvolvedObject()
                    .withType("Normal").withReason("DeliveryTest").withMessage("event from the operator's account")
                    .build()).create();

            assertThatThrownBy(() -> operator.secrets().inNamespace(APPS_NS).list())
                    .isInstanceOf(KubernetesClientException.class)
                    .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(403));
            assertThatThrownBy(() -> operator.apps().deployments().inNamespace(DEFAULT_NS).list())
                    .isInstanceOf(KubernetesClientException.class)
                    .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(403));
        }
    }

    /**
     * The packaged operator with the chart's default values, as the chart's ServiceAccount with exactly the RBAC the
     * chart installed: it passes the SDK's Lease permission check, takes the Lease, keeps renewing it, and its
     * controllers run (the worker gets a status written under that identity).
     */
    @Test
    @Order(8)
    void theOperatorStartsWithDefaultValuesAsTheChartsServiceAccount(@TempDir Path work) throws Exception {
        try (OperatorProcess operator = OperatorProcess.start(client, server.kubeConfigYaml(),
                Manifests.render(Map.of(), "pymode", DEFAULT_NS), DEFAULT_NS, work).awaitReady()) {
            Lease lease = client.leases().inNamespace(DEFAULT_NS).withName("pymode-pymode-operator").waitUntilCondition(
                    l -> l != null && operator.podName().equals(l.getSpec().getHolderIdentity()), 60, TimeUnit.SECONDS);
            var firstRenewal = lease.getSpec().getRenewTime();
            client.leases().inNamespace(DEFAULT_NS).withName("pymode-pymode-operator").waitUntilCondition(
                    l -> !firstRenewal.equals(l.getSpec().getRenewTime()), 30, TimeUnit.SECONDS);
            awaitOperatorStatus("hello-worker");
            assertThat(operator.isAlive()).as(operator.outputTail()).isTrue();
            assertThat(operator.output()).doesNotContain("No permission to lease").doesNotContain("Forbidden");
        }
    }

    /**
     * The same with leader election off (one replica): no Lease permissions, and no Lease call at all. Its values
     * also ask for JSON logs: every log line is then one JSON object a shipper can parse.
     */
    @Test
    @Order(9)
    void withoutLeaderElectionTheOperatorStartsAndTouchesNoLease(@TempDir Path work) throws Exception {
        try (OperatorProcess operator = OperatorProcess.start(client, server.kubeConfigYaml(),
                Manifests.render(SINGLE_VALUES, "pymode-single", SINGLE_NS), SINGLE_NS, work).awaitReady()) {
            GenericKubernetesResource worker = load(Repo.examples().resolve("hello-worker/worker.yaml"));
            worker.getMetadata().setName("hello-single");
            client.resource(worker).inNamespace(APPS_NS).create();
            awaitOperatorStatus("hello-single");
            assertThat(client.leases().inAnyNamespace().list().getItems())
                    .noneSatisfy(l -> assertThat(l.getMetadata().getName()).isEqualTo("pymode-single-pymode-operator"));
            assertThat(client.leases().inNamespace(SINGLE_NS).list().getItems()).isEmpty();
            assertThat(operator.isAlive()).as(operator.outputTail()).isTrue();
            List<String> logLines = operator.output().lines().filter(l -> l.startsWith("{")).toList();
            assertThat(logLines).as("JSON log lines").isNotEmpty().allSatisfy(line -> assertThat(
                    Serialization.jsonMapper().readTree(line).path("message").isTextual()).as(line).isTrue());
            assertThat(logLines).anySatisfy(line -> assertThat(line).contains("pymodeworker"));
            assertThat(operator.output().lines()).as("no plain-text log lines")
                    .noneMatch(l -> l.matches("^\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2},\\d{3} .*"));
            assertThat(operator.output()).doesNotContain("No permission to lease").doesNotContain("Forbidden");
        }
    }

    /** Waits for the status the operator's worker controller writes (the example's ConfigMap is not there). */
    private static void awaitOperatorStatus(String worker) {
        client.genericKubernetesResources("pymode.dev/v1alpha1", "PyModeWorker").inNamespace(APPS_NS).withName(worker)
                .waitUntilCondition(w -> w != null && Serialization.asYaml(w.getAdditionalProperties().get("status"))
                        .contains("ConfigMapNotFound"), 60, TimeUnit.SECONDS);
    }

    @Test
    @Order(10)
    void helmUninstallRemovesTheReleaseButKeepsCrdsAndWorkers() {
        new Helm(Repo.chart()); // the library is loaded already; uninstall is a static command
        String out = Helm.uninstall("pymode").withNamespace(DEFAULT_NS).withKubeConfig(kubeconfig).call();
        assertThat(out).contains("uninstalled");
        assertThat(client.apps().deployments().inNamespace(DEFAULT_NS).withName("pymode-pymode-operator").get())
                .isNull();
        assertThat(client.rbac().clusterRoles().withName("pymode-pymode-operator").get()).isNull();
        assertThat(client.apiextensions().v1().customResourceDefinitions().withName("pymodeworkers.pymode.dev").get())
                .as("Helm never deletes CRDs from crds/, so workers survive an uninstall").isNotNull();
        assertThat(client.genericKubernetesResources("pymode.dev/v1alpha1", "PyModeWorker").inNamespace(APPS_NS)
                .withName("hello-worker").get()).isNotNull();
    }

    /** verb, apiGroup, resource[/subresource] as the operator uses them (grep -rn 'client\.' operator/src/main). */
    static List<String[]> operatorOperations() {
        List<String[]> ops = new ArrayList<>();
        for (String kind : List.of("pymodeworkers", "pymodeextensions", "pymodeworkflows")) {
            for (String verb : List.of("get", "list", "watch", "patch", "update")) {
                ops.add(new String[] {verb, "pymode.dev", kind, ""});
            }
            ops.add(new String[] {"patch", "pymode.dev", kind, "status"});
            ops.add(new String[] {"update", "pymode.dev", kind, "status"});
            ops.add(new String[] {"update", "pymode.dev", kind, "finalizers"});
        }
        for (String verb : List.of("get", "list", "watch", "create", "update", "delete")) {
            ops.add(new String[] {verb, "", "configmaps", ""});
        }
        ops.add(new String[] {"get", "", "secrets", ""});
        for (String verb : List.of("get", "list", "watch", "create", "delete")) {
            ops.add(new String[] {verb, "batch", "jobs", ""});
        }
        ops.add(new String[] {"get", "", "pods", ""});
        ops.add(new String[] {"list", "", "pods", ""});
        ops.add(new String[] {"get", "", "pods", "log"});
        ops.add(new String[] {"create", "", "events", ""});
        ops.add(new String[] {"patch", "", "events", ""});
        return ops;
    }

    static List<String[]> forbiddenOperations() {
        return List.of(
                new String[] {"list", "", "secrets", ""},
                new String[] {"watch", "", "secrets", ""},
                new String[] {"create", "", "secrets", ""},
                new String[] {"delete", "pymode.dev", "pymodeworkers", ""},
                new String[] {"create", "pymode.dev", "pymodeworkers", ""},
                new String[] {"update", "batch", "jobs", ""},
                new String[] {"deletecollection", "", "configmaps", ""},
                new String[] {"delete", "", "pods", ""},
                new String[] {"create", "", "pods", "exec"},
                new String[] {"create", "", "pods", ""},
                new String[] {"create", "apps", "deployments", ""},
                new String[] {"create", "", "serviceaccounts", "token"},
                new String[] {"create", "rbac.authorization.k8s.io", "rolebindings", ""},
                new String[] {"list", "", "namespaces", ""},
                new String[] {"create", "apiextensions.k8s.io", "customresourcedefinitions", ""},
                new String[] {"get", "apiextensions.k8s.io", "customresourcedefinitions", ""});
    }

    private static boolean allowed(String user, String namespace, String[] op) {
        return review(user, namespace, op[0], op[1], op[2], op[3], null);
    }

    private static boolean allowedNamed(String user, String namespace, String verb, String group, String resource,
                                        String name) {
        return review(user, namespace, verb, group, resource, "", name);
    }

    private static boolean review(String user, String namespace, String verb, String group, String resource,
                                  String subresource, String name) {
        SubjectAccessReview review = new SubjectAccessReviewBuilder().withNewSpec()
                .withUser(user)
                .withGroups("system:serviceaccounts", "system:serviceaccounts:" + user.split(":")[2],
                        "system:authenticated")
                .withNewResourceAttributes().withNamespace(namespace).withVerb(verb).withGroup(group)
                .withResource(resource).withSubresource(subresource).withName(name).endResourceAttributes()
                .endSpec().build();
        return client.authorization().v1().subjectAccessReview().create(review).getStatus().getAllowed();
    }

    private static String serviceAccountUser(String namespace, String name) {
        ServiceAccount account = client.serviceAccounts().inNamespace(namespace).withName(name).get();
        assertThat(account).as("ServiceAccount %s/%s", namespace, name).isNotNull();
        return "system:serviceaccount:" + namespace + ":" + name;
    }

    private static List<HasMetadata> chartCrds() throws IOException {
        List<HasMetadata> items = new ArrayList<>();
        try (Stream<Path> files = Files.list(Repo.chart().resolve("crds"))) {
            for (Path file : files.sorted().toList()) {
                try (InputStream in = Files.newInputStream(file)) {
                    items.addAll(client.load(in).items());
                }
            }
        }
        return items;
    }

    private static GenericKubernetesResource load(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return Serialization.unmarshal(in, GenericKubernetesResource.class);
        }
    }
}
