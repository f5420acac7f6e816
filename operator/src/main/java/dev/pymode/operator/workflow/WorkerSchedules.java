package dev.pymode.operator.workflow;

import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

import dev.pymode.operator.api.v1alpha1.workflow.PyModeWorkflow;
import dev.pymode.operator.api.v1alpha1.workflow.PyModeWorkflowSpec;
import dev.pymode.operator.api.v1alpha1.workflow.RetryPolicy;

/**
 * The cron triggers a worker carries: one {@link ScheduleEntry} per PyModeWorkflow that points at it, has a
 * valid schedule and is not suspended. Sorted by resource name, so equal workflows give an equal upload.
 *
 * <p>An invalid schedule is left out here, not refused by Cloudflare later: Cloudflare replaces a script's whole
 * trigger set in one call, so one bad expression would fail the worker's deploy and every other workflow's
 * trigger with it. The workflow itself reports the problem (PyModeWorkflowReconciler, reason InvalidSchedule).
 */
public final class WorkerSchedules {

    private WorkerSchedules() {
    }

    public static List<ScheduleEntry> of(Collection<PyModeWorkflow> workflows) {
        return workflows.stream()
                .filter(w -> w.getMetadata().getDeletionTimestamp() == null)
                .filter(w -> w.getSpec() != null && w.getSpec().getSchedule() != null)
                .filter(w -> !Boolean.TRUE.equals(w.getSpec().getSuspend()))
                .filter(w -> CronSchedule.problem(w.getSpec().getSchedule()).isEmpty())
                .sorted(Comparator.comparing(w -> w.getMetadata().getName()))
                .map(WorkerSchedules::entry)
                .toList();
    }

    static ScheduleEntry entry(PyModeWorkflow workflow) {
        PyModeWorkflowSpec spec = workflow.getSpec();
        return new ScheduleEntry(CronSchedule.cloudflareExpression(spec.getSchedule()), spec.getWorkflow(),
                workflow.getMetadata().getName(), spec.getInput(), spec.getConcurrencyPolicy().name(),
                retry(spec.getRetry()));
    }

    /** The resource's retry defaults as the run endpoint takes them (null: the code's own). */
    static ScheduleEntry.RunRetry retry(RetryPolicy policy) {
        return policy == null ? null
                : new ScheduleEntry.RunRetry(policy.getRetries(), policy.getBackoffSeconds(), policy.getBackoffFactor());
    }

    /** The distinct cron expressions, in entry order: the script's cron trigger set. */
    public static List<String> crons(List<ScheduleEntry> entries) {
        return entries.stream().map(ScheduleEntry::cron).filter(Objects::nonNull).distinct().toList();
    }
}
