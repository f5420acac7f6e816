package dev.pymode.operator.extension;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import dev.pymode.operator.api.v1alpha1.extension.PyModeExtension;
import dev.pymode.operator.api.v1alpha1.extension.PyModeExtensionStatus;
import dev.pymode.operator.api.v1alpha1.extension.Recipe;
import dev.pymode.operator.status.ConditionTypes;
import dev.pymode.operator.status.StatusUpdates;
import dev.pymode.operator.status.StageResult;
import dev.pymode.operator.status.StatusAggregator;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;

/** Reconciles PyModeExtension: resolve the recipe, then build the side module. */
@ControllerConfiguration(name = PyModeExtensionReconciler.NAME)
public class PyModeExtensionReconciler implements Reconciler<PyModeExtension> {

    public static final String NAME = "pymodeextension";

    private final RecipeCatalog catalog;
    private final StatusAggregator aggregator;

    public PyModeExtensionReconciler(RecipeCatalog catalog, StatusAggregator aggregator) {
        this.catalog = catalog;
        this.aggregator = aggregator;
    }

    @Override
    public UpdateControl<PyModeExtension> reconcile(PyModeExtension extension, Context<PyModeExtension> context)
            throws IOException {
        List<StageResult> stages = new ArrayList<>();
        StageResult recipe = resolveRecipe(extension);
        stages.add(recipe);
        if (recipe.succeeded()) {
            stages.add(StageResult.terminalFailure(ConditionTypes.BUILT, "BuilderUnavailable",
                    "this operator version has no build stage, so the side module cannot be built"));
        }
        PyModeExtensionStatus status = extension.getStatus() != null ? extension.getStatus()
                : new PyModeExtensionStatus();
        return StatusUpdates.patch(aggregator, extension, status, stages);
    }

    private StageResult resolveRecipe(PyModeExtension extension) throws IOException {
        Recipe inline = extension.getSpec().getInline();
        if (inline != null) {
            return StageResult.succeeded(ConditionTypes.SOURCE_READY, "InlineRecipe",
                    "recipe " + inline.getName() + " " + inline.getVersion() + " from the resource");
        }
        String name = extension.getSpec().getRecipe();
        return catalog.find(name)
                .map(r -> StageResult.succeeded(ConditionTypes.SOURCE_READY, "CatalogueRecipe",
                        "recipe " + r.getName() + " " + r.getVersion() + " from the catalogue"))
                .orElseGet(() -> StageResult.terminalFailure(ConditionTypes.SOURCE_READY, "RecipeNotFound",
                        "no recipe named '" + name + "' in the catalogue; use spec.inline for your own recipe"));
    }

    @Override
    public ErrorStatusUpdateControl<PyModeExtension> updateErrorStatus(PyModeExtension extension,
                                                                       Context<PyModeExtension> context, Exception e) {
        return StatusUpdates.error(aggregator, extension,
                extension.getStatus() != null ? extension.getStatus() : new PyModeExtensionStatus(), e);
    }
}
