package dev.pymode.operator.api.v1alpha1.workflow;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.pymode.operator.api.v1alpha1.common.PyModeStatus;

/** Observed state of a PyModeWorkflow. */
public class PyModeWorkflowStatus extends PyModeStatus {

    @JsonPropertyDescription("Recent runs, newest first.")
    private List<WorkflowRun> runs = new ArrayList<>();

    @JsonPropertyDescription("When the schedule next fires (RFC 3339).")
    private String nextScheduleTime;

    @JsonPropertyDescription("When a scheduled run last started (RFC 3339).")
    private String lastScheduleTime;

    @JsonPropertyDescription("The last handled value of the pymode.dev/run-requested-at annotation.")
    private String lastHandledRunRequest;

    public List<WorkflowRun> getRuns() { return runs; }
    public void setRuns(List<WorkflowRun> runs) { this.runs = runs; }
    public String getNextScheduleTime() { return nextScheduleTime; }
    public void setNextScheduleTime(String nextScheduleTime) { this.nextScheduleTime = nextScheduleTime; }
    public String getLastScheduleTime() { return lastScheduleTime; }
    public void setLastScheduleTime(String lastScheduleTime) { this.lastScheduleTime = lastScheduleTime; }
    public String getLastHandledRunRequest() { return lastHandledRunRequest; }
    public void setLastHandledRunRequest(String lastHandledRunRequest) { this.lastHandledRunRequest = lastHandledRunRequest; }
}
