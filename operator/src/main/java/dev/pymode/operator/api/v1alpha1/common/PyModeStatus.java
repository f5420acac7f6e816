package dev.pymode.operator.api.v1alpha1.common;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;

/**
 * What every PyMode status carries: the generation it describes and kstatus-style conditions
 * ({@code Ready}, {@code Reconciling}, {@code Stalled} plus stage conditions).
 */
public abstract class PyModeStatus {

    @JsonPropertyDescription("The metadata.generation this status describes.")
    private Long observedGeneration;

    @JsonPropertyDescription("Current state as conditions: Ready, Reconciling and Stalled (kstatus), plus stage "
            + "conditions such as SourceReady, Built and Deployed. Reasons name the stage; messages explain.")
    private List<Condition> conditions = new ArrayList<>();

    public Long getObservedGeneration() { return observedGeneration; }
    public void setObservedGeneration(Long observedGeneration) { this.observedGeneration = observedGeneration; }
    public List<Condition> getConditions() { return conditions; }
    public void setConditions(List<Condition> conditions) { this.conditions = conditions; }
}
