package dev.pymode.operator.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import dev.pymode.operator.support.RealApiServerResource;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The running operator: leader election takes the Lease, health and Prometheus metrics answer. */
@QuarkusTest
@TestProfile(OperatorRuntimeTest.LeaderElectionEnabled.class)
@QuarkusTestResource(value = RealApiServerResource.class, restrictToAnnotatedClass = true,
        initArgs = @ResourceArg(name = RealApiServerResource.NAMESPACES, value = OperatorRuntimeTest.LEASE_NAMESPACE))
@Tag("apiserver")
class OperatorRuntimeTest {

    /** Not the client's default namespace, so the Lease is where the configuration says, not where it falls back. */
    static final String LEASE_NAMESPACE = "pymode-system";

    /** Runs the operator as a replica set would: only the Lease holder reconciles. */
    public static class LeaderElectionEnabled implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("pymode.leader-election.enabled", "true",
                    "pymode.leader-election.namespace", LEASE_NAMESPACE);
        }
    }

    @Inject
    KubernetesClient client;

    @TestHTTPResource("/q/health/ready")
    URL ready;

    @TestHTTPResource("/q/metrics")
    URL metrics;

    private static HttpResponse<String> get(URL url) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url.toString())).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void leaderElectionTakesTheLease() {
        Lease lease = await().atMost(Duration.ofSeconds(30)).until(
                () -> client.leases().inNamespace(LEASE_NAMESPACE).withName("pymode-operator").get(),
                l -> l != null && l.getSpec().getHolderIdentity() != null);
        assertThat(lease.getSpec().getLeaseDurationSeconds()).isPositive();
        assertThat(client.leases().inAnyNamespace().list().getItems()).as("Leases besides the API server's own")
                .filteredOn(l -> !"kube-system".equals(l.getMetadata().getNamespace())).singleElement()
                .satisfies(l -> assertThat(l.getMetadata().getNamespace()).isEqualTo(LEASE_NAMESPACE));
    }

    @Test
    void readinessReportsTheControllers() throws Exception {
        HttpResponse<String> response = await().atMost(Duration.ofSeconds(30)).until(() -> get(ready),
                r -> r.statusCode() == 200);
        assertThat(response.body()).contains("\"status\": \"UP\"")
                .contains("pymodeworker").contains("pymodeextension").contains("pymodeworkflow");
    }

    @Test
    void prometheusMetricsAreExposed() throws Exception {
        HttpResponse<String> response = get(metrics);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("# TYPE jvm_memory_used_bytes gauge");
    }
}
