package dev.pymode.operator.api.v1alpha1.workflow;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.crd.generator.annotation.PreserveUnknownFields;

/** Outcome of one workflow step. */
public class WorkflowStepResult {

    @JsonPropertyDescription("Step name (the decorated function's name).")
    private String name;

    @JsonPropertyDescription("Pending, Running, Succeeded, Failed or Cancelled (replaced by a newer run).")
    private String state;

    @JsonPropertyDescription("Attempts made, retries included.")
    private Integer attempts;

    @JsonPropertyDescription("The step's JSON result, when it succeeded.")
    @PreserveUnknownFields
    private JsonNode result;

    @JsonPropertyDescription("The last error, when it failed.")
    private String error;

    public String getName() { return name; }
    public void setName(String name) { this.name = name; }
    public String getState() { return state; }
    public void setState(String state) { this.state = state; }
    public Integer getAttempts() { return attempts; }
    public void setAttempts(Integer attempts) { this.attempts = attempts; }
    public JsonNode getResult() { return result; }
    public void setResult(JsonNode result) { this.result = result; }
    public String getError() { return error; }
    public void setError(String error) { this.error = error; }
}
