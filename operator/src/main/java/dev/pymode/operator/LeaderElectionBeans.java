package dev.pymode.operator;

import java.util.Optional;

import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfigurationBuilder;
import io.quarkus.arc.lookup.LookupIfProperty;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Leader election for more than one replica: QOSDK picks up this bean when it exists, so it is produced only
 * when {@code pymode.leader-election.enabled=true}. Only the holder of the Lease reconciles.
 */
@ApplicationScoped
public class LeaderElectionBeans {

    @Produces
    @Singleton
    @LookupIfProperty(name = "pymode.leader-election.enabled", stringValue = "true")
    LeaderElectionConfiguration leaderElection(
            @ConfigProperty(name = "pymode.leader-election.lease-name", defaultValue = "pymode-operator") String lease,
            @ConfigProperty(name = "pymode.leader-election.namespace") Optional<String> namespace) {
        var builder = LeaderElectionConfigurationBuilder.aLeaderElectionConfiguration(lease);
        // In a pod the namespace is detected; outside a cluster it must be given.
        namespace.ifPresent(builder::withLeaseNamespace);
        return builder.build();
    }
}
