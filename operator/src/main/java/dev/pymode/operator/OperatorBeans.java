package dev.pymode.operator;

import java.time.Clock;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pymode.operator.extension.RecipeCatalog;
import dev.pymode.operator.source.SourceResolver;
import dev.pymode.operator.status.StatusAggregator;
import io.fabric8.kubernetes.client.KubernetesClient;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;

/** Wiring of the plain classes the reconcilers share; they stay free of CDI so unit tests build them directly. */
@ApplicationScoped
public class OperatorBeans {

    @Produces
    @ApplicationScoped
    Clock clock() {
        return Clock.systemUTC();
    }

    @Produces
    @ApplicationScoped
    StatusAggregator statusAggregator(Clock clock) {
        return new StatusAggregator(clock);
    }

    @Produces
    @ApplicationScoped
    RecipeCatalog recipeCatalog(ObjectMapper mapper) {
        return new RecipeCatalog(mapper, OperatorBeans.class.getClassLoader());
    }

    @Produces
    @ApplicationScoped
    SourceResolver sourceResolver(KubernetesClient client) {
        return new SourceResolver(client);
    }
}
