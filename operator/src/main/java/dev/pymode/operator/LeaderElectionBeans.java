package dev.pymode.operator;

import dev.pymode.operator.config.PyModeConfig;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfigurationBuilder;
import io.quarkus.arc.lookup.LookupIfProperty;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;


/**
 * Leader election for more than one replica: QOSDK picks up this bean when it exists, so it is produced only
 * when {@code pymode.leader-election.enabled=true}. Only the holder of the Lease reconciles.
 */
@ApplicationScoped
public class LeaderElectionBeans {

    @Produces
    @Singleton
    @LookupIfProperty(name = "pymode.leader-election.enabled", stringValue = "true")
    LeaderElectionConfiguration leaderElection(PyModeConfig config) {
        var settings = config.leaderElection();
        var builder = LeaderElectionConfigurationBuilder.aLeaderElectionConfiguration(settings.leaseName());
        // In a pod the namespace is detected; outside a cluster it must be given.
        settings.namespace().ifPresent(builder::withLeaseNamespace);
        return builder.build();
    }
}
