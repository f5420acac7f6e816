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

    /**
     * How far the operator has looked for the runs the cron trigger started: it asks the worker for them
     * (GET /workflow/runs, a request to the Cloudflare Worker) only once a later firing has passed, not on every
     * reconcile.
     */
    @JsonPropertyDescription("Firings of the schedule at or before this time (RFC 3339) have been looked for: the "
            + "operator lists the worker's runs (GET /workflow/runs) only after a later firing, and again within a "
            + "grace period while the run of a recent firing has not appeared. Set when the cron trigger is first seen "
            + "deployed, to 2 minutes before that moment: the runs of earlier firings are recorded by the first "
            + "listing after the next firing.")
    private String scheduleCheckedThrough;

    /** The schedule scheduleCheckedThrough belongs to: a different one starts afresh (firings before are not owed). */
    @JsonPropertyDescription("The cron trigger (Cloudflare's 5 fields) that scheduleCheckedThrough was looked for. "
            + "Cleared while no trigger of this workflow is in force (no schedule, suspended, invalid, not deployed); "
            + "when the deployed trigger differs (an edited schedule, a resume) scheduleCheckedThrough restarts at "
            + "that time, since earlier firings started no run of it.")
    private String checkedSchedule;

    public List<WorkflowRun> getRuns() { return runs; }
    public void setRuns(List<WorkflowRun> runs) { this.runs = runs; }
    public String getNextScheduleTime() { return nextScheduleTime; }
    public void setNextScheduleTime(String nextScheduleTime) { this.nextScheduleTime = nextScheduleTime; }
    public String getLastScheduleTime() { return lastScheduleTime; }
    public void setLastScheduleTime(String lastScheduleTime) { this.lastScheduleTime = lastScheduleTime; }
    public String getLastHandledRunRequest() { return lastHandledRunRequest; }
    public void setLastHandledRunRequest(String lastHandledRunRequest) { this.lastHandledRunRequest = lastHandledRunRequest; }
    public String getScheduleCheckedThrough() { return scheduleCheckedThrough; }
    public void setScheduleCheckedThrough(String scheduleCheckedThrough) { this.scheduleCheckedThrough = scheduleCheckedThrough; }
    public String getCheckedSchedule() { return checkedSchedule; }
    public void setCheckedSchedule(String checkedSchedule) { this.checkedSchedule = checkedSchedule; }
}
