package dev.pymode.operator.api.v1alpha1.worker;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** A cron trigger of the worker's script: a PyModeWorkflow's schedule, or one of the worker's own spec.crons. */
public class WorkerSchedule {

    @JsonPropertyDescription("Name of the PyModeWorkflow; unset for the worker's own cron (spec.crons), which calls "
            + "the entry's scheduled handler.")
    private String workflow;

    @JsonPropertyDescription("The cron trigger, as Cloudflare holds it (5 fields, UTC).")
    private String cron;

    public WorkerSchedule() {
    }

    public WorkerSchedule(String workflow, String cron) {
        this.workflow = workflow;
        this.cron = cron;
    }

    public String getWorkflow() { return workflow; }
    public void setWorkflow(String workflow) { this.workflow = workflow; }
    public String getCron() { return cron; }
    public void setCron(String cron) { this.cron = cron; }
}
