package dev.pymode.operator;

import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pymode.operator.build.BuildExecutor;
import dev.pymode.operator.build.JobBuildExecutor;
import dev.pymode.operator.build.LocalProcessBuildExecutor;
import dev.pymode.operator.build.ToolchainIdentity;
import dev.pymode.operator.build.WorkerBuildStage;
import dev.pymode.operator.config.PyModeConfig;
import dev.pymode.operator.events.EventRecorder;
import dev.pymode.operator.extension.RecipeCatalog;
import dev.pymode.operator.oci.OciRegistry;
import dev.pymode.operator.source.SourceResolver;
import dev.pymode.operator.status.StatusAggregator;
import io.fabric8.kubernetes.client.KubernetesClient;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;

/** Wiring of the plain classes the reconcilers share; they stay free of CDI so tests build them directly. */
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

    @Produces
    @ApplicationScoped
    EventRecorder eventRecorder(KubernetesClient client, Clock clock) {
        return new EventRecorder(client, clock);
    }

    @Produces
    @ApplicationScoped
    WorkerBuildStage workerBuildStage(PyModeConfig config, KubernetesClient client, ObjectMapper mapper,
                                      EventRecorder events, Clock clock) {
        Optional<OciRegistry> registry = config.registry().host().map(host -> new OciRegistry(host,
                config.registry().plainHttp(), config.registry().username().orElse(null),
                config.registry().password().orElse(null), mapper));
        Path root = Path.of(config.repoRoot()).toAbsolutePath().normalize();
        BuildExecutor executor;
        String toolchain;
        if (config.builder().mode() == PyModeConfig.Mode.local) {
            Map<String, String> env = new HashMap<>();
            env.put("PYMODE_REGISTRY_PLAIN_HTTP", config.registry().plainHttp() ? "1" : "0");
            env.put("PYMODE_REPO", root.toString());
            config.builder().oras().ifPresent(oras -> env.put("PYMODE_ORAS", oras));
            executor = new LocalProcessBuildExecutor(Path.of(config.builder().localWorkDir()), "python3",
                    root.resolve(config.builder().localProgram()).toString(), env, config.builder().activeDeadline(),
                    clock, mapper);
            toolchain = config.builder().toolchain().orElseGet(() -> ToolchainIdentity.ofLocalTools(root));
        } else {
            executor = new JobBuildExecutor(client, config);
            toolchain = config.builder().toolchain().orElse(config.builder().image());
        }
        return new WorkerBuildStage(registry, executor, client, config, toolchain, events, clock);
    }
}
