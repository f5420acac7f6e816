package dev.pymode.operator.worker;

import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import dev.pymode.operator.api.v1alpha1.extension.PyModeExtension;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorker;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorkerStatus;
import dev.pymode.operator.api.v1alpha1.workflow.PyModeWorkflow;
import dev.pymode.operator.builds.BuildExecutor;
import dev.pymode.operator.builds.WorkerBuildStage;
import dev.pymode.operator.deploy.CloudflareTargets;
import dev.pymode.operator.deploy.WorkerDeployStage;
import dev.pymode.operator.deploy.WorkerTeardown;
import dev.pymode.operator.events.EventRecorder;
import dev.pymode.operator.inventory.AccountInventories;
import dev.pymode.operator.kube.SecretValues;
import dev.pymode.operator.source.resolve.SourceResolver;
import dev.pymode.operator.status.StatusAggregator;
import dev.pymode.operator.status.StatusUpdates;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.MaxReconciliationInterval;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import org.jboss.logging.Logger;

/**
 * Reconciles PyModeWorker: observe ({@link WorkerObservation}), validate and reconcile ({@link WorkerPipeline}), then
 * record one aggregated status.
 */
// The periodic pass finds drift made outside the operator (a binding removed by hand) even when nothing here changes.
@ControllerConfiguration(name = PyModeWorkerReconciler.NAME,
        maxReconciliationInterval = @MaxReconciliationInterval(interval = 10, timeUnit = TimeUnit.MINUTES))
public class PyModeWorkerReconciler implements Reconciler<PyModeWorker>, Cleaner<PyModeWorker> {

    public static final String NAME = "pymodeworker";
    private static final String CONFIGMAP_SOURCE_INDEX = "configMapSource";
    private static final String EXTENSION_INDEX = "extensions";
    private static final String SCRIPT_INDEX = "deployedScript";
    private static final Logger LOG = Logger.getLogger(PyModeWorkerReconciler.class);

    private final WorkerPipeline pipeline;
    private final WorkerTeardown teardown;
    private final StatusAggregator aggregator;
    private final BuildExecutor builds;
    private final AccountInventories inventories;

    public PyModeWorkerReconciler(SourceResolver sourceResolver, WorkerBuildStage buildStage,
                                  WorkerDeployStage deployStage, WorkerTeardown teardown,
                                  StatusAggregator aggregator, EventRecorder events, BuildExecutor builds,
                                  AccountInventories inventories) {
        this.inventories = inventories;
        this.pipeline = new WorkerPipeline(sourceResolver, buildStage, deployStage, events);
        this.teardown = teardown;
        this.aggregator = aggregator;
        this.builds = builds;
    }

    /** Deleting the resource removes the script (and, by policy, its resources) before the finalizer goes. */
    @Override
    public DeleteControl cleanup(PyModeWorker worker, Context<PyModeWorker> context) {
        try {
            teardown.teardown(worker);
        } catch (CloudflareTargets.NotConfiguredException | SecretValues.MissingSecretException e) {
            // Without credentials nothing can be removed; keeping the finalizer would block deletion forever.
            LOG.warnf("%s/%s deleted without removing its Cloudflare script: %s", worker.getMetadata().getNamespace(),
                    worker.getMetadata().getName(), e.getMessage());
        }
        return DeleteControl.defaultDelete();
    }

    @Override
    public UpdateControl<PyModeWorker> reconcile(PyModeWorker worker, Context<PyModeWorker> context) {
        if (Boolean.TRUE.equals(worker.getSpec().getSuspend())) {
            LOG.debugf("%s/%s is suspended", worker.getMetadata().getNamespace(), worker.getMetadata().getName());
            PyModeWorkerStatus status = worker.getStatus() != null ? worker.getStatus() : new PyModeWorkerStatus();
            aggregator.suspended(status, worker.getMetadata().getGeneration());
            worker.setStatus(status);
            return UpdateControl.patchStatus(worker);
        }
        // observe (from the informer caches), then validate and reconcile (the pipeline), then one status write
        WorkerObservation observed = WorkerObservation.of(worker, context.getPrimaryCache().list().toList(),
                context.getSecondaryResources(PyModeWorkflow.class));
        return StatusUpdates.patch(aggregator, worker, observed.status(), pipeline.run(worker, observed));
    }

    /**
     * A change to a ConfigMap that workers build from re-reconciles exactly those workers; so does a change to a
     * PyModeExtension they list (it was built: their bundles can be built now). A change to a PyModeWorkflow
     * re-reconciles the worker it points at (its schedule is one of the worker's cron triggers). A build of the
     * worker that finishes (or vanishes before it does) re-reconciles the worker at once. So does its script when
     * the account's shared listing shows it changed or deleted outside the operator.
     */
    @Override
    public List<EventSource<?, PyModeWorker>> prepareEventSources(EventSourceContext<PyModeWorker> context) {
        context.getPrimaryCache().addIndexer(CONFIGMAP_SOURCE_INDEX, worker -> {
            var ref = worker.getSpec() == null || worker.getSpec().getSource() == null ? null
                    : worker.getSpec().getSource().getConfigMapRef();
            return ref == null ? List.of() : List.of(indexKey(worker.getMetadata().getNamespace(), ref.getName()));
        });
        var configuration = InformerEventSourceConfiguration.from(ConfigMap.class, PyModeWorker.class)
                .withNamespacesInheritedFromController()
                .withSecondaryToPrimaryMapper((ConfigMap configMap) -> context.getPrimaryCache()
                        .byIndex(CONFIGMAP_SOURCE_INDEX, indexKey(configMap.getMetadata().getNamespace(),
                                configMap.getMetadata().getName()))
                        .stream().map(ResourceID::fromResource).collect(Collectors.toSet()))
                .build();
        context.getPrimaryCache().addIndexer(EXTENSION_INDEX, worker -> worker.getSpec() == null ? List.of()
                : worker.getSpec().getExtensions().stream()
                .map(ref -> indexKey(worker.getMetadata().getNamespace(), ref.getName())).toList());
        var extensions = InformerEventSourceConfiguration.from(PyModeExtension.class, PyModeWorker.class)
                .withNamespacesInheritedFromController()
                .withSecondaryToPrimaryMapper((PyModeExtension extension) -> context.getPrimaryCache()
                        .byIndex(EXTENSION_INDEX, indexKey(extension.getMetadata().getNamespace(),
                                extension.getMetadata().getName()))
                        .stream().map(ResourceID::fromResource).collect(Collectors.toSet()))
                .build();
        var workflows = InformerEventSourceConfiguration.from(PyModeWorkflow.class, PyModeWorker.class)
                .withNamespacesInheritedFromController()
                .withSecondaryToPrimaryMapper((PyModeWorkflow workflow) -> workflow.getSpec() == null
                        || workflow.getSpec().getWorkerRef() == null ? Set.of()
                        : Set.of(new ResourceID(workflow.getSpec().getWorkerRef().getName(),
                        workflow.getMetadata().getNamespace())))
                .build();
        context.getPrimaryCache().addIndexer(SCRIPT_INDEX, worker -> {
            var deployment = worker.getStatus() == null ? null : worker.getStatus().getDeployment();
            return deployment == null || deployment.getScriptName() == null ? List.of()
                    : List.of(indexKey(deployment.getAccountId(), deployment.getScriptName()));
        });
        var scriptChanges = new SimpleInboundEventSource<PyModeWorker>("script-changes");
        inventories.onScriptsChanged((account, scripts) -> scripts.forEach(script -> context.getPrimaryCache()
                .byIndex(SCRIPT_INDEX, indexKey(account, script))
                .forEach(worker -> scriptChanges.propagateEvent(ResourceID.fromResource(worker)))));
        return List.of(new InformerEventSource<>(configuration, context), new InformerEventSource<>(extensions, context),
                new InformerEventSource<>(workflows, context), builds.completions(PyModeWorker.class, context),
                scriptChanges);
    }

    private static String indexKey(String namespace, String name) {
        return namespace + "/" + name;
    }

    @Override
    public ErrorStatusUpdateControl<PyModeWorker> updateErrorStatus(PyModeWorker worker, Context<PyModeWorker> context,
                                                                    Exception e) {
        return StatusUpdates.error(aggregator, worker,
                worker.getStatus() != null ? worker.getStatus() : new PyModeWorkerStatus(), e);
    }
}
