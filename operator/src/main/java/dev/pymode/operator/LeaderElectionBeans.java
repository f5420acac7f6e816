package dev.pymode.operator;

import dev.pymode.operator.config.PyModeConfig;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfigurationBuilder;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Dependent;
import jakarta.enterprise.inject.Produces;


/**
 * Leader election for more than one replica: only the holder of the Lease reconciles.
 *
 * <p>QOSDK takes this bean with {@code Arc.container().instance(LeaderElectionConfiguration.class).get()} in every
 * profile listed in {@code quarkus.operator-sdk.activate-leader-election-for-profiles}, and hands JOSDK whatever
 * that returns: JOSDK runs leader election (and its Lease permission check) whenever it gets a non-null
 * configuration. That lookup is not an {@code Instance} lookup, so it ignores {@code @LookupIfProperty}: a bean
 * guarded that way is still found, and leader election ran with {@code pymode.leader-election.enabled=false}.
 * The switch is therefore the producer's result itself: a {@code @Dependent} producer may return null, and null
 * means no leader election, hence no Lease calls at all.
 */
@ApplicationScoped
public class LeaderElectionBeans {

    @Produces
    @Dependent
    LeaderElectionConfiguration leaderElection(PyModeConfig config) {
        var settings = config.leaderElection();
        if (!settings.enabled()) {
            return null;
        }
        var builder = LeaderElectionConfigurationBuilder.aLeaderElectionConfiguration(settings.leaseName());
        // In a pod the namespace is detected; outside a cluster it must be given.
        settings.namespace().ifPresent(builder::withLeaseNamespace);
        return builder.build();
    }
}
