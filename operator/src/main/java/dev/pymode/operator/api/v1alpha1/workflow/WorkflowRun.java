package dev.pymode.operator.api.v1alpha1.workflow;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** One run of a workflow. */
public class WorkflowRun {

    @JsonPropertyDescription("Run ID, as the worker reports it.")
    private String id;

    @JsonPropertyDescription("What started the run: Schedule or Manual.")
    private String trigger;

    @JsonPropertyDescription("Pending, Running, Succeeded, Failed or Cancelled (replaced by a newer run).")
    private String state;

    @JsonPropertyDescription("When the run started (RFC 3339).")
    private String startedAt;

    @JsonPropertyDescription("When the run finished (RFC 3339).")
    private String finishedAt;

    @JsonPropertyDescription("The error that failed the run.")
    private String error;

    @JsonPropertyDescription("Per-step outcome, in execution order.")
    private List<WorkflowStepResult> steps = new ArrayList<>();

    public String getId() { return id; }
    public void setId(String id) { this.id = id; }
    public String getTrigger() { return trigger; }
    public void setTrigger(String trigger) { this.trigger = trigger; }
    public String getState() { return state; }
    public void setState(String state) { this.state = state; }
    public String getStartedAt() { return startedAt; }
    public void setStartedAt(String startedAt) { this.startedAt = startedAt; }
    public String getFinishedAt() { return finishedAt; }
    public void setFinishedAt(String finishedAt) { this.finishedAt = finishedAt; }
    public String getError() { return error; }
    public void setError(String error) { this.error = error; }
    public List<WorkflowStepResult> getSteps() { return steps; }
    public void setSteps(List<WorkflowStepResult> steps) { this.steps = steps; }
}
