package dev.pymode.operator.api.v1alpha1.worker;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** A PyModeWorkflow schedule deployed as a cron trigger of the worker's script. */
public class WorkerSchedule {

    @JsonPropertyDescription("Name of the PyModeWorkflow.")
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
