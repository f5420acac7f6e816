package dev.pymode.operator.extension;

import java.util.ArrayList;
import java.util.List;

import dev.pymode.operator.api.v1alpha1.extension.PyModeExtension;
import dev.pymode.operator.api.v1alpha1.extension.PyModeExtensionStatus;
import dev.pymode.operator.builds.BuildExecutor;
import dev.pymode.operator.recipes.RecipeClosure;
import dev.pymode.operator.status.StageResult;
import dev.pymode.operator.status.StatusAggregator;
import dev.pymode.operator.status.StatusUpdates;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;

/** Reconciles PyModeExtension: resolve the recipe and what it depends on, then build the side-module artifact. */
@ControllerConfiguration(name = PyModeExtensionReconciler.NAME)
public class PyModeExtensionReconciler implements Reconciler<PyModeExtension> {

    public static final String NAME = "pymodeextension";

    private final RecipeClosure recipes;
    private final ExtensionBuildStage buildStage;
    private final StatusAggregator aggregator;
    private final BuildExecutor builds;

    public PyModeExtensionReconciler(RecipeClosure recipes, ExtensionBuildStage buildStage,
                                     StatusAggregator aggregator, BuildExecutor builds) {
        this.recipes = recipes;
        this.buildStage = buildStage;
        this.aggregator = aggregator;
        this.builds = builds;
    }

    /** A build of the extension that finishes (or vanishes before it does) re-reconciles it at once. */
    @Override
    public List<EventSource<?, PyModeExtension>> prepareEventSources(EventSourceContext<PyModeExtension> context) {
        return List.of(builds.completions(PyModeExtension.class, context));
    }

    @Override
    public UpdateControl<PyModeExtension> reconcile(PyModeExtension extension, Context<PyModeExtension> context) {
        PyModeExtensionStatus status = extension.getStatus() != null ? extension.getStatus()
                : new PyModeExtensionStatus();
        List<StageResult> stages = new ArrayList<>();
        RecipeClosure.Resolution resolution = recipes.resolve(extension);
        stages.add(resolution.stage());
        if (resolution.stage().succeeded()) {
            stages.add(buildStage.run(extension, resolution, status));
        }
        return StatusUpdates.patch(aggregator, extension, status, stages);
    }

    @Override
    public ErrorStatusUpdateControl<PyModeExtension> updateErrorStatus(PyModeExtension extension,
                                                                       Context<PyModeExtension> context, Exception e) {
        return StatusUpdates.error(aggregator, extension,
                extension.getStatus() != null ? extension.getStatus() : new PyModeExtensionStatus(), e);
    }
}
