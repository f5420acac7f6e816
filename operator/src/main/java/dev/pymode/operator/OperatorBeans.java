package dev.pymode.operator;

import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pymode.cloudflare.RateLimiter;
import dev.pymode.operator.builds.BuildExecutor;
import dev.pymode.operator.builds.BuilderCommand;
import dev.pymode.operator.builds.JobBuildExecutor;
import dev.pymode.operator.builds.LocalProcessBuildExecutor;
import dev.pymode.operator.builds.ToolchainIdentity;
import dev.pymode.operator.builds.WorkerBuildStage;
import dev.pymode.operator.config.PyModeConfig;
import dev.pymode.operator.deploy.BundleStore;
import dev.pymode.operator.deploy.CloudflareClients;
import dev.pymode.operator.deploy.CloudflareTargets;
import dev.pymode.operator.deploy.RouteSync;
import dev.pymode.operator.deploy.WorkerDeployStage;
import dev.pymode.operator.deploy.WorkerTeardown;
import dev.pymode.operator.deploy.WorkerUploadFactory;
import dev.pymode.operator.events.EventRecorder;
import dev.pymode.operator.extension.ExtensionBuildStage;
import dev.pymode.operator.inventory.AccountInventories;
import dev.pymode.operator.kube.SecretValues;
import dev.pymode.operator.metrics.OperatorMetrics;
import dev.pymode.operator.oci.OciRegistry;
import dev.pymode.operator.recipes.RecipeCatalog;
import dev.pymode.operator.recipes.RecipeClosure;
import dev.pymode.operator.source.resolve.SourceResolver;
import dev.pymode.operator.source.git.GitSourceFetcher;
import dev.pymode.operator.source.oci.OciSourceFetcher;
import dev.pymode.operator.status.StatusAggregator;
import dev.pymode.operator.workflow.WorkflowEndpoint;
import dev.pymode.operator.workflow.WorkflowTokens;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetricsV2;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

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
    RecipeCatalog recipeCatalog() {
        return new RecipeCatalog(OperatorBeans.class.getClassLoader());
    }

    @Produces
    @ApplicationScoped
    SourceResolver sourceResolver(KubernetesClient client, PyModeConfig config, ObjectMapper mapper, Clock clock) {
        PyModeConfig.Source source = config.source();
        long cacheBytes = Quantity.getAmountInBytes(new Quantity(source.cacheSize())).longValue();
        GitSourceFetcher git = new GitSourceFetcher(Path.of(source.workDir()), cacheBytes, source.remoteCacheTtl(),
                source.timeout(), clock);
        // The operator's own registry may be plain http (pymode.registry.plain-http); loopback ones always are.
        Set<String> plainHttp = config.registry().plainHttp() ? config.registry().host().map(Set::of).orElse(Set.of())
                : Set.of();
        OciSourceFetcher oci = new OciSourceFetcher(mapper, source.remoteCacheTtl(), plainHttp, clock);
        return new SourceResolver(client, git, oci, mapper, clock);
    }

    @Produces
    @ApplicationScoped
    EventRecorder eventRecorder(KubernetesClient client, Clock clock) {
        return new EventRecorder(client, clock);
    }

    @Produces
    @Singleton // Optional is final: it cannot be wrapped in an application-scoped client proxy
    Optional<OciRegistry> registry(PyModeConfig config, ObjectMapper mapper) {
        return config.registry().host().map(host -> new OciRegistry(host, config.registry().plainHttp(),
                config.registry().username().orElse(null), config.registry().password().orElse(null), mapper));
    }

    @Produces
    @ApplicationScoped
    CloudflareTargets cloudflareTargets(PyModeConfig config, KubernetesClient client) {
        return new CloudflareTargets(config.cloudflare(), new SecretValues(client));
    }

    /**
     * The operator's own metrics, in the Prometheus registry itself for the reason given at
     * {@link #operatorSdkMetrics}: Cloudflare calls made while the operator starts (the first listing) count too.
     */
    @Produces
    @ApplicationScoped
    OperatorMetrics operatorMetrics(PrometheusMeterRegistry registry) {
        return new OperatorMetrics(registry);
    }

    /**
     * The Java Operator SDK's per-controller metrics (reconciliations_started_total, _success_total, _failure_total,
     * reconciliations_queue, reconciliations_active, reconciliations_execution_duration_seconds, labelled
     * controller_name), which the chart's dashboard and PrometheusRule read, recorded in the application's registry.
     * QOSDK 7.7.3's own default bean (MicrometerMetricsProvider, a MeterBinder whose field is Metrics.NOOP until
     * Micrometer calls bindTo) hands the operator Metrics.NOOP when the operator is configured before the binders
     * are bound: that is the packaged (prod) start, where /q/metrics then has no reconciliations_* series at all,
     * while the test profile happened to be wired after the binding (quarkiverse/quarkus-operator-sdk#1385, fixed
     * upstream by injecting the MeterRegistry directly). This bean replaces that @DefaultBean; it builds
     * the V2 implementation, the one QOSDK uses unless quarkus.operator-sdk.use-v1-metrics is set.
     *
     * <p>It records in the Prometheus registry (what /q/metrics serves), not in the injectable MeterRegistry, which
     * is Micrometer's global composite: in the packaged operator QOSDK starts the operator (informers, the first
     * reconciles of the resources already there) about 3 s before Quarkus Micrometer adds the Prometheus registry to
     * that composite, and a composite without a registry behind it drops what is recorded. Its meters then showed up
     * with the first increments missing: reconciliations_started_total 0 next to _success_total 1 for a worker
     * present at start-up, events_received_total and the execution timer short as well. JOSDK 5.3.2 makes its
     * calls in order (EventProcessor: submitted, started, finished, succeeded); the loss was the registry's. A
     * backend other than Prometheus added to the composite would not see these series; the chart ships Prometheus.
     * PackagedOperatorMetricsTest checks the packaged jar (countsTheReconcilesOfResourcesFoundAtStartUpAsStarted).
     */
    @Produces
    @Singleton
    Metrics operatorSdkMetrics(PrometheusMeterRegistry registry) {
        return MicrometerMetricsV2.newBuilder(registry).build();
    }

    @Produces
    @ApplicationScoped
    CloudflareClients cloudflareClients(PyModeConfig config, Clock clock, OperatorMetrics metrics) {
        var cloudflare = config.cloudflare();
        return new CloudflareClients(clock, new RateLimiter(clock, cloudflare.requestBurst(),
                cloudflare.requestsPerFiveMinutes() / 300.0), metrics);
    }

    @Produces
    @ApplicationScoped
    AccountInventories accountInventories(PyModeConfig config, Clock clock) {
        AccountInventories inventories = new AccountInventories(config.cloudflare().listingInterval(), clock);
        inventories.startRefreshing();
        return inventories;
    }

    void closeAccountInventories(@Disposes AccountInventories inventories) {
        inventories.close();
    }

    @Produces
    @ApplicationScoped
    WorkerDeployStage workerDeployStage(PyModeConfig config, KubernetesClient client, ObjectMapper mapper,
                                        Optional<OciRegistry> registry, CloudflareTargets targets,
                                        CloudflareClients clients, AccountInventories inventories,
                                        EventRecorder events, Clock clock) {
        // Without a registry nothing gets built, so the deploy stage is never reached; the store needs one anyway.
        BundleStore bundles = new BundleStore(registry.orElse(null), mapper, config.cloudflare().bundleCacheSize());
        return new WorkerDeployStage(targets, clients, inventories, bundles, new WorkerUploadFactory(mapper),
                new SecretValues(client), config.cloudflare(), events, clock);
    }

    @Produces
    @ApplicationScoped
    WorkflowEndpoint workflowEndpoint(PyModeConfig config, ObjectMapper mapper) {
        return new WorkflowEndpoint(mapper, config.cloudflare().edgeAddress());
    }

    @Produces
    @ApplicationScoped
    WorkflowTokens workflowTokens(KubernetesClient client) {
        return new WorkflowTokens(new SecretValues(client));
    }

    @Produces
    @ApplicationScoped
    WorkerTeardown workerTeardown(CloudflareTargets targets, CloudflareClients clients, AccountInventories inventories,
                                  KubernetesClient client, EventRecorder events) {
        return new WorkerTeardown(targets, clients, inventories, client, new RouteSync(events));
    }

    /** How builds run here (Jobs, or local processes) and the toolchain identity that goes into build keys. */
    record Builders(BuildExecutor executor, String toolchain) {
    }

    @Produces
    @Singleton // a record cannot be proxied, so not @ApplicationScoped
    Builders builders(PyModeConfig config, KubernetesClient client, ObjectMapper mapper, Clock clock) {
        Path root = Path.of(config.repoRoot()).toAbsolutePath().normalize();
        if (config.builder().mode() == PyModeConfig.Mode.local) {
            Map<String, String> env = new HashMap<>();
            env.put("PYMODE_REGISTRY_PLAIN_HTTP", config.registry().plainHttp() ? "1" : "0");
            env.put("PYMODE_REPO", root.toString());
            config.builder().oras().ifPresent(oras -> env.put("PYMODE_ORAS", oras));
            // credentials, if any, come from the operator's own environment (BuilderCommand.ENV_PACKAGE_INDEX_USERNAME,
            // _PASSWORD), which the local builder inherits
            config.builder().packageIndexUrl().ifPresent(url -> env.put(BuilderCommand.ENV_PACKAGE_INDEX_URL, url));
            var executor = new LocalProcessBuildExecutor(Path.of(config.builder().localWorkDir()), "python3",
                    root.resolve(config.builder().localProgram()).toString(), env, config.builder().activeDeadline(),
                    clock, mapper);
            return new Builders(executor, config.builder().toolchain().orElseGet(() -> ToolchainIdentity.ofLocalTools(root)));
        }
        return new Builders(new JobBuildExecutor(client, config),
                config.builder().toolchain().orElse(config.builder().image()));
    }

    /** The reconcilers of build owners register its {@link BuildExecutor#completions} event source. */
    @Produces
    @Singleton
    BuildExecutor buildExecutor(Builders builders) {
        return builders.executor();
    }

    @Produces
    @ApplicationScoped
    WorkerBuildStage workerBuildStage(PyModeConfig config, KubernetesClient client, Builders builders,
                                      Optional<OciRegistry> registry, EventRecorder events, Clock clock,
                                      OperatorMetrics metrics, RecipeClosure recipes) {
        return new WorkerBuildStage(registry, builders.executor(), client, config, builders.toolchain(), events, clock,
                metrics, recipes);
    }

    @Produces
    @ApplicationScoped
    ExtensionBuildStage extensionBuildStage(PyModeConfig config, Builders builders, Optional<OciRegistry> registry,
                                            EventRecorder events, Clock clock, OperatorMetrics metrics) {
        return new ExtensionBuildStage(registry, builders.executor(), config, builders.toolchain(), events, clock,
                metrics);
    }

    @Produces
    @ApplicationScoped
    RecipeClosure recipeClosure(RecipeCatalog catalog, ObjectMapper mapper) {
        return new RecipeClosure(catalog, mapper);
    }
}
