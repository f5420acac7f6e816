package dev.pymode.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import dev.pymode.delivery.support.Manifests;
import dev.pymode.delivery.support.Repo;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The chart without a cluster: helm lint --strict, helm template, and what the rendered objects say. */
class ChartTemplateTest {

    static final Map<String, Object> HA = Map.of("replicaCount", 2, "watchNamespaces[0]", "team-a",
            "watchNamespaces[1]", "team-b");

    @Test
    void aBuilderCaBundleIsMountedIntoTheOperatorAndNamedForBuilds() {
        Deployment deployment = Manifests.render(Map.of("builder.caBundle.configMap", "proxy-ca",
                "builder.caBundle.key", "bundle.pem")).single(Deployment.class);
        Container operator = container(deployment);
        assertThat(env(operator, "PYMODE_BUILDER_CA_BUNDLE_FILE")).isEqualTo("/etc/pymode/builder-ca/bundle.pem");
        assertThat(operator.getVolumeMounts()).anySatisfy(m -> {
            assertThat(m.getName()).isEqualTo("builder-ca");
            assertThat(m.getMountPath()).isEqualTo("/etc/pymode/builder-ca");
        });
        assertThat(deployment.getSpec().getTemplate().getSpec().getVolumes()).filteredOn(v -> v.getConfigMap() != null)
                .extracting(v -> v.getConfigMap().getName()).containsExactly("proxy-ca");

        Container plain = container(Manifests.render(Map.of()).single(Deployment.class));
        assertThat(plain.getEnv()).noneSatisfy(e -> assertThat(e.getName()).isEqualTo("PYMODE_BUILDER_CA_BUNDLE_FILE"));
    }

    @Test
    void thePackageIndexIsAnOperatorSettingNamedForBuilds() {
        Container operator = container(Manifests.render(Map.of("builder.packageIndex.url",
                "https://pypi.example.com/simple/", "builder.packageIndex.credentialsSecret", "package-index"))
                .single(Deployment.class));
        assertThat(env(operator, "PYMODE_BUILDER_PACKAGE_INDEX_URL")).isEqualTo("https://pypi.example.com/simple/");
        assertThat(env(operator, "PYMODE_BUILDER_PACKAGE_INDEX_CREDENTIALS_SECRET")).isEqualTo("package-index");

        Container plain = container(Manifests.render(Map.of()).single(Deployment.class));
        assertThat(plain.getEnv()).noneSatisfy(e -> assertThat(e.getName()).startsWith("PYMODE_BUILDER_PACKAGE_INDEX"));
    }

    /** Issue #18: the PodDisruptionBudget by default; the alerts and the dashboard when asked for; JSON logs. */
    @Test
    void observabilityPiecesRenderWhenAskedFor() throws Exception {
        Manifests plain = Manifests.render(Map.of());
        var pdb = plain.single(io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget.class);
        assertThat(pdb.getSpec().getMaxUnavailable().getIntVal()).isEqualTo(1);
        assertThat(pdb.getSpec().getSelector().getMatchLabels())
                .isEqualTo(plain.single(Deployment.class).getSpec().getSelector().getMatchLabels());
        assertThat(plain.generic("PrometheusRule")).isEmpty();
        assertThat(plain.kinds()).doesNotContain("ConfigMap");
        assertThat(env(container(plain.single(Deployment.class)), "PYMODE_LOG_JSON")).isEqualTo("false");

        Manifests all = Manifests.render(Map.of("metrics.prometheusRule.enabled", true,
                "metrics.dashboard.enabled", true, "podDisruptionBudget.enabled", false, "logJson", true,
                "cloudflare.listingInterval", "PT5M", "cloudflare.requestsPerFiveMinutes", 600));
        assertThat(all.kinds()).doesNotContain("PodDisruptionBudget");
        Container operator = container(all.single(Deployment.class));
        assertThat(env(operator, "PYMODE_LOG_JSON")).isEqualTo("true");
        assertThat(env(operator, "PYMODE_CLOUDFLARE_LISTING_INTERVAL")).isEqualTo("PT5M");
        assertThat(env(operator, "PYMODE_CLOUDFLARE_REQUESTS_PER_FIVE_MINUTES")).isEqualTo("600");
        assertThat(all.generic("PrometheusRule")).hasValueSatisfying(rule -> {
            String yaml = io.fabric8.kubernetes.client.utils.Serialization.asYaml(rule);
            assertThat(yaml).contains("PyModeCloudflareRateLimited", "PyModeCloudflareBudgetExhausted",
                    "PyModeBuildsFailing", "PyModeReconcileFailures", "PyModeOperatorDown")
                    .contains("pymode_cloudflare_requests_seconds_count", "reconciliations_failure_total");
        });
        var dashboard = all.single(io.fabric8.kubernetes.api.model.ConfigMap.class);
        assertThat(dashboard.getMetadata().getLabels()).containsEntry("grafana_dashboard", "1");
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(dashboard.getData().get("pymode-operator.json"));
        assertThat(json.path("uid").asText()).isEqualTo("pymode-operator");
        assertThat(json.path("panels").size()).isGreaterThan(8);
    }

    @Test
    void lintStrictIsClean() {
        LintResult result = new Helm(Repo.chart()).lint().strict().call();
        assertThat(result.isFailed()).as("helm lint --strict: %s", result.getMessages()).isFalse();
        // Only the informational note that the chart has no icon (there is no project logo to point at).
        assertThat(result.getMessages()).allSatisfy(m -> assertThat(m).startsWith("[INFO]"));
    }

    @Test
    void defaultValuesRenderTheOperatorWithClusterWideRbacAndLeaderElection() {
        Manifests m = Manifests.render(Map.of());
        assertThat(m.kinds()).containsExactlyInAnyOrder("ServiceAccount", "ClusterRole", "ClusterRoleBinding",
                "Role", "RoleBinding", "Service", "Deployment", "PodDisruptionBudget");
        Deployment deployment = m.single(Deployment.class);
        assertThat(deployment.getSpec().getReplicas()).isEqualTo(1);
        assertSurgesOnePodAtATime(deployment);
        Container operator = container(deployment);
        assertThat(operator.getImage()).isEqualTo("ghcr.io/pymode/pymode-operator:0.1.0");
        assertThat(env(operator, "PYMODE_WATCH_NAMESPACES")).isEqualTo("JOSDK_ALL_NAMESPACES");
        assertThat(env(operator, "PYMODE_LEADER_ELECTION")).isEqualTo("true");
        assertThat(env(operator, "PYMODE_LEADER_ELECTION_LEASE_NAME")).isEqualTo(deployment.getMetadata().getName());
        assertThat(operator.getEnv()).extracting(EnvVar::getName)
                .doesNotContain("PYMODE_REGISTRY_HOST", "PYMODE_RUNTIME_REF",
                        "PYMODE_CLOUDFLARE_API_TOKEN", "PYMODE_REGISTRY_PASSWORD");
        assertLeaderElectionRbac(m, deployment.getMetadata().getName());

        ClusterRoleBinding binding = m.single(ClusterRoleBinding.class);
        ServiceAccount account = m.single(ServiceAccount.class);
        assertThat(binding.getRoleRef().getName()).isEqualTo(m.single(ClusterRole.class).getMetadata().getName());
        assertThat(binding.getSubjects()).singleElement().satisfies(s -> {
            assertThat(s.getName()).isEqualTo(account.getMetadata().getName());
            assertThat(s.getNamespace()).isEqualTo(Manifests.NAMESPACE);
        });
        assertThat(deployment.getSpec().getTemplate().getSpec().getServiceAccountName())
                .isEqualTo(account.getMetadata().getName());

        Service service = m.single(Service.class);
        assertThat(service.getSpec().getSelector()).isEqualTo(deployment.getSpec().getSelector().getMatchLabels());
        assertThat(service.getSpec().getPorts()).singleElement()
                .satisfies(p -> assertThat(p.getTargetPort().getStrVal()).isEqualTo("http"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void deploymentIsHardened(String name, Map<String, Object> values) {
        Deployment deployment = Manifests.render(values).single(Deployment.class);
        PodSpec pod = deployment.getSpec().getTemplate().getSpec();
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(pod.getSecurityContext().getRunAsUser()).isEqualTo(185L);
        assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");

        Container operator = container(deployment);
        var security = operator.getSecurityContext();
        assertThat(security.getRunAsNonRoot()).isTrue();
        assertThat(security.getReadOnlyRootFilesystem()).isTrue();
        assertThat(security.getAllowPrivilegeEscalation()).isFalse();
        assertThat(security.getPrivileged()).isNotEqualTo(Boolean.TRUE);
        assertThat(security.getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(security.getCapabilities().getAdd()).isNullOrEmpty();
        assertThat(security.getSeccompProfile().getType()).isEqualTo("RuntimeDefault");

        // the read-only root filesystem leaves /tmp (Vert.x and Quarkus caches) on an emptyDir
        assertThat(operator.getVolumeMounts()).anySatisfy(v -> {
            assertThat(v.getMountPath()).isEqualTo("/tmp");
            assertThat(pod.getVolumes()).anySatisfy(vol -> {
                assertThat(vol.getName()).isEqualTo(v.getName());
                assertThat(vol.getEmptyDir()).isNotNull();
            });
        });
        // git sources are cached on their own emptyDir, where PYMODE_SOURCE_WORK_DIR points
        assertThat(operator.getVolumeMounts()).anySatisfy(v -> {
            assertThat(v.getMountPath()).isEqualTo(env(operator, "PYMODE_SOURCE_WORK_DIR"));
            assertThat(pod.getVolumes()).anySatisfy(vol -> {
                assertThat(vol.getName()).isEqualTo(v.getName());
                assertThat(vol.getEmptyDir()).isNotNull();
            });
        });
        assertThat(pod.getHostNetwork()).isNotEqualTo(Boolean.TRUE);
        assertThat(pod.getHostPID()).isNotEqualTo(Boolean.TRUE);
        assertThat(pod.getVolumes()).allSatisfy(v -> assertThat(v.getHostPath()).isNull());

        assertThat(operator.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/q/health/live");
        assertThat(operator.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/q/health/ready");
        assertThat(operator.getLivenessProbe().getHttpGet().getPort().getStrVal()).isEqualTo("http");
        assertThat(operator.getPorts()).anySatisfy(p -> {
            assertThat(p.getName()).isEqualTo("http");
            assertThat(p.getContainerPort()).isEqualTo(8080);
        });
        assertThat(env(operator, "PYMODE_HTTP_PORT")).isEqualTo("8080");
        assertThat(operator.getResources().getRequests()).containsKeys("cpu", "memory");
        assertThat(operator.getResources().getLimits()).containsKey("memory");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void rbacHasNoWildcardsAndNoEscalation(String name, Map<String, Object> values) {
        Manifests m = Manifests.render(values);
        List<PolicyRule> rules = Stream.concat(m.ofType(ClusterRole.class).stream().flatMap(r -> r.getRules().stream()),
                m.ofType(Role.class).stream().flatMap(r -> r.getRules().stream())).toList();
        assertThat(rules).isNotEmpty().allSatisfy(rule -> {
            assertThat(rule.getVerbs()).isNotEmpty().doesNotContain("*", "escalate", "bind", "impersonate",
                    "deletecollection");
            assertThat(rule.getResources()).isNotEmpty().noneMatch(r -> r.contains("*"));
            assertThat(rule.getApiGroups()).doesNotContain("*");
            assertThat(rule.getNonResourceURLs()).isNullOrEmpty();
        });
        // Secrets are read by name only: never listed or watched, never written.
        assertThat(rules).filteredOn(r -> r.getResources().contains("secrets"))
                .allSatisfy(r -> assertThat(r.getVerbs()).containsExactly("get"));
        // Nothing cluster-scoped beyond what the namespaced rules name (no nodes, namespaces, CRDs, RBAC).
        assertThat(rules).flatExtracting(PolicyRule::getResources).doesNotContain("nodes", "namespaces",
                "customresourcedefinitions", "clusterroles", "roles", "rolebindings", "clusterrolebindings",
                "serviceaccounts", "serviceaccounts/token");
    }

    @Test
    void twoReplicasWithWatchNamespacesUseRolesAndLeaderElection() {
        Manifests m = Manifests.render(HA);
        assertThat(m.ofType(ClusterRole.class)).isEmpty();
        assertThat(m.ofType(ClusterRoleBinding.class)).isEmpty();

        List<Role> roles = m.ofType(Role.class);
        assertThat(roles).extracting(r -> r.getMetadata().getNamespace())
                .containsExactlyInAnyOrder("team-a", "team-b", Manifests.NAMESPACE);
        assertThat(m.ofType(RoleBinding.class)).extracting(r -> r.getMetadata().getNamespace())
                .containsExactlyInAnyOrder("team-a", "team-b", Manifests.NAMESPACE);
        assertThat(m.ofType(RoleBinding.class)).allSatisfy(b -> assertThat(b.getSubjects()).singleElement()
                .satisfies(s -> assertThat(s.getNamespace()).isEqualTo(Manifests.NAMESPACE)));

        Deployment deployment = m.single(Deployment.class);
        assertThat(deployment.getSpec().getReplicas()).isEqualTo(2);
        assertSurgesOnePodAtATime(deployment);
        Container operator = container(deployment);
        assertThat(env(operator, "PYMODE_WATCH_NAMESPACES")).isEqualTo("team-a,team-b");
        assertThat(env(operator, "PYMODE_LEADER_ELECTION")).isEqualTo("true");
        String lease = env(operator, "PYMODE_LEADER_ELECTION_LEASE_NAME");
        assertThat(lease).isEqualTo(deployment.getMetadata().getName());
        EnvVar leaseNamespace = operator.getEnv().stream()
                .filter(e -> e.getName().equals("PYMODE_LEADER_ELECTION_NAMESPACE")).findFirst().orElseThrow();
        assertThat(leaseNamespace.getValueFrom().getFieldRef().getFieldPath()).isEqualTo("metadata.namespace");

        assertLeaderElectionRbac(m, lease);
    }

    @Test
    void leaderElectionCanBeTurnedOffForOneReplica() {
        Manifests m = Manifests.render(Map.of("leaderElection.enabled", false));
        Deployment deployment = m.single(Deployment.class);
        Container operator = container(deployment);
        assertThat(env(operator, "PYMODE_LEADER_ELECTION")).isEqualTo("false");
        assertThat(operator.getEnv()).extracting(EnvVar::getName)
                .doesNotContain("PYMODE_LEADER_ELECTION_LEASE_NAME", "PYMODE_LEADER_ELECTION_NAMESPACE");
        assertThat(m.ofType(Role.class)).as("no Lease permissions").isEmpty();
        assertThat(m.ofType(RoleBinding.class)).isEmpty();
        // one replica and no Lease: the old pod goes before the new one starts
        assertThat(deployment.getSpec().getStrategy().getType()).isEqualTo("Recreate");
    }

    @Test
    void leaderElectionStaysOnWithMoreThanOneReplica() {
        Manifests m = Manifests.render(Map.of("leaderElection.enabled", false, "replicaCount", 2));
        Deployment deployment = m.single(Deployment.class);
        assertThat(env(container(deployment), "PYMODE_LEADER_ELECTION")).isEqualTo("true");
        assertLeaderElectionRbac(m, deployment.getMetadata().getName());
    }

    /** A rolling update that starts the new pod first: with leader election only the Lease holder reconciles. */
    private static void assertSurgesOnePodAtATime(Deployment deployment) {
        var strategy = deployment.getSpec().getStrategy();
        assertThat(strategy.getType()).isEqualTo("RollingUpdate");
        assertThat(strategy.getRollingUpdate().getMaxSurge().getIntVal()).isEqualTo(1);
        assertThat(strategy.getRollingUpdate().getMaxUnavailable().getIntVal()).isZero();
    }

    /**
     * Exactly the Lease verbs leader election uses, in the release namespace: create (which cannot be limited to a
     * name), and get, update and patch on the chart's Lease only. Java Operator SDK checks for create, get and
     * update before it starts; Fabric8's LeaderElector renews the Lease with merge patches.
     */
    private static void assertLeaderElectionRbac(Manifests m, String lease) {
        Role role = m.ofType(Role.class).stream().filter(r -> r.getMetadata().getNamespace().equals(Manifests.NAMESPACE)
                && r.getMetadata().getName().endsWith("-leader-election")).findFirst().orElseThrow();
        assertThat(role.getRules()).allSatisfy(r -> {
            assertThat(r.getApiGroups()).containsExactly("coordination.k8s.io");
            assertThat(r.getResources()).containsExactly("leases");
        });
        assertThat(role.getRules()).hasSize(2).anySatisfy(r -> {
            assertThat(r.getVerbs()).containsExactly("create");
            assertThat(r.getResourceNames()).isNullOrEmpty();
        }).anySatisfy(r -> {
            assertThat(r.getVerbs()).containsExactlyInAnyOrder("get", "update", "patch");
            assertThat(r.getResourceNames()).containsExactly(lease);
        });
        RoleBinding binding = m.ofType(RoleBinding.class).stream()
                .filter(b -> b.getRoleRef().getName().equals(role.getMetadata().getName())).findFirst().orElseThrow();
        assertThat(binding.getMetadata().getNamespace()).isEqualTo(Manifests.NAMESPACE);
        assertThat(binding.getSubjects()).singleElement().satisfies(s -> assertThat(s.getName())
                .isEqualTo(m.single(ServiceAccount.class).getMetadata().getName()));
    }

    @Test
    void settingsReachTheOperatorEnvironment() {
        String runtime = "registry.example:5000/pymode/runtime@sha256:" + "ab".repeat(32);
        Manifests m = Manifests.render(Map.ofEntries(
                Map.entry("image.digest", "sha256:" + "cd".repeat(32)),
                Map.entry("registry.host", "registry.example:5000"),
                Map.entry("registry.plainHttp", true),
                Map.entry("registry.bundleRepository", "team/bundles"),
                Map.entry("registry.pushSecret", "registry-push"),
                Map.entry("registry.credentialsSecret", "registry-lookup"),
                Map.entry("runtime.ref", runtime),
                Map.entry("builder.image", "ghcr.io/pymode/builder@sha256:" + "ef".repeat(32)),
                Map.entry("builder.maxAttempts", 2),
                Map.entry("builder.activeDeadline", "PT10M"),
                Map.entry("builder.resources.limits.memory", "8Gi"),
                Map.entry("cloudflare.accountId", "0123456789abcdef0123456789abcdef"),
                Map.entry("cloudflare.credentialsSecret.name", "cloudflare"),
                Map.entry("logLevel", "DEBUG"),
                Map.entry("sources.cacheSize", "2Gi"),
                Map.entry("sources.volumeSizeLimit", "3Gi"),
                Map.entry("nodeSelector.pool", "operators"),
                Map.entry("tolerations[0].key", "dedicated"),
                Map.entry("tolerations[0].operator", "Exists"),
                Map.entry("metrics.serviceMonitor.enabled", true)));
        Deployment deployment = m.single(Deployment.class);
        Container operator = container(deployment);
        assertThat(operator.getImage()).isEqualTo("ghcr.io/pymode/pymode-operator@sha256:" + "cd".repeat(32));
        assertThat(env(operator, "PYMODE_REGISTRY_HOST")).isEqualTo("registry.example:5000");
        assertThat(env(operator, "PYMODE_REGISTRY_PLAIN_HTTP")).isEqualTo("true");
        assertThat(env(operator, "PYMODE_REGISTRY_BUNDLE_REPOSITORY")).isEqualTo("team/bundles");
        assertThat(env(operator, "PYMODE_REGISTRY_PUSH_SECRET")).isEqualTo("registry-push");
        assertThat(env(operator, "PYMODE_RUNTIME_REF")).isEqualTo(runtime);
        assertThat(env(operator, "PYMODE_BUILDER_MAX_ATTEMPTS")).isEqualTo("2");
        assertThat(env(operator, "PYMODE_BUILDER_ACTIVE_DEADLINE")).isEqualTo("PT10M");
        assertThat(env(operator, "PYMODE_BUILDER_MEMORY_LIMIT")).isEqualTo("8Gi");
        assertThat(env(operator, "PYMODE_LOG_LEVEL")).isEqualTo("DEBUG");
        assertThat(env(operator, "PYMODE_SOURCE_CACHE_SIZE")).isEqualTo("2Gi");
        assertThat(deployment.getSpec().getTemplate().getSpec().getVolumes()).anySatisfy(v -> {
            assertThat(v.getName()).isEqualTo("source-cache");
            assertThat(v.getEmptyDir().getSizeLimit().toString()).isEqualTo("3Gi");
        });
        assertThat(env(operator, "PYMODE_CLOUDFLARE_ACCOUNT_ID")).isEqualTo("0123456789abcdef0123456789abcdef");
        assertThat(secretRef(operator, "PYMODE_CLOUDFLARE_API_TOKEN")).isEqualTo("cloudflare/apiToken");
        assertThat(secretRef(operator, "PYMODE_REGISTRY_USERNAME")).isEqualTo("registry-lookup/username");
        assertThat(secretRef(operator, "PYMODE_REGISTRY_PASSWORD")).isEqualTo("registry-lookup/password");
        PodSpec pod = deployment.getSpec().getTemplate().getSpec();
        assertThat(pod.getNodeSelector()).containsEntry("pool", "operators");
        assertThat(pod.getTolerations()).singleElement().satisfies(t -> assertThat(t.getKey()).isEqualTo("dedicated"));
        assertThat(m.generic("ServiceMonitor")).hasValueSatisfying(sm -> assertThat(sm.getApiVersion())
                .isEqualTo("monitoring.coreos.com/v1"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidValues")
    void schemaRejectsInvalidValues(String key, Object value) {
        assertThatThrownBy(() -> Manifests.render(Map.of(key, value)))
                .hasMessageContaining("values don't meet the specifications of the schema");
    }

    static Stream<Arguments> variants() {
        return Stream.of(Arguments.of("defaults", Map.of()), Arguments.of("replicaCount=2 + watchNamespaces", HA),
                Arguments.of("leaderElection.enabled=false", Map.of("leaderElection.enabled", false)));
    }

    static Stream<Arguments> invalidValues() {
        return Stream.of(
                Arguments.of("replicaCount", 0),
                Arguments.of("builder.mode", "pod"),
                Arguments.of("builder.maxAttempts", 0),
                Arguments.of("builder.activeDeadline", "30 minutes"),
                Arguments.of("registry.host", "https://registry.example"),
                Arguments.of("runtime.ref", "registry.example/pymode/runtime:latest"),
                Arguments.of("cloudflare.accountId", "not-an-account"),
                Arguments.of("watchNamespaces[0]", "Team_A"),
                Arguments.of("logLevel", "verbose"),
                Arguments.of("image.digest", "latest"),
                Arguments.of("sources.cacheSize", "lots"),
                Arguments.of("unknownSetting", true));
    }

    static Container container(Deployment deployment) {
        return deployment.getSpec().getTemplate().getSpec().getContainers().stream()
                .filter(c -> c.getName().equals("operator")).findFirst().orElseThrow();
    }

    static String env(Container container, String name) {
        return container.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst()
                .map(EnvVar::getValue).orElseThrow(() -> new AssertionError("no env " + name));
    }

    static String secretRef(Container container, String name) {
        return container.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst()
                .map(e -> e.getValueFrom().getSecretKeyRef())
                .map(r -> r.getName() + "/" + r.getKey())
                .orElseThrow(() -> new AssertionError("no env " + name));
    }
}
