package dev.pymode.operator.workflow;

import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

import java.util.stream.Stream;

import dev.pymode.operator.api.v1alpha1.worker.PyModeWorker;
import dev.pymode.operator.api.v1alpha1.workflow.PyModeWorkflow;
import dev.pymode.operator.api.v1alpha1.workflow.PyModeWorkflowSpec;
import dev.pymode.operator.api.v1alpha1.workflow.RetryPolicy;

/**
 * The cron triggers a worker carries: one {@link ScheduleEntry} per cron of its own {@code spec.crons} (for the
 * entry's Python scheduled handler), then one per PyModeWorkflow that points at it, has a valid schedule and is
 * not suspended, sorted by resource name, so equal workflows give an equal upload.
 *
 * <p>An invalid schedule is left out here, not refused by Cloudflare later: Cloudflare replaces a script's whole
 * trigger set in one call, so one bad expression would fail the worker's deploy and every other workflow's
 * trigger with it. The workflow itself reports the problem (PyModeWorkflowReconciler, reason InvalidSchedule).
 */
public final class WorkerSchedules {

    private WorkerSchedules() {
    }

    public static List<ScheduleEntry> of(PyModeWorker worker, Collection<PyModeWorkflow> workflows) {
        return Stream.concat(handlerEntries(worker).stream(), of(workflows).stream()).toList();
    }

    /**
     * The worker's own crons, in Cloudflare's form, each once. None is left out here: the CRD's rules refuse an
     * expression Cloudflare would refuse, and one that slipped through stalls the worker before it is deployed
     * (SpecValid, reason InvalidSchedule), rather than the handler silently never running.
     */
    static List<ScheduleEntry> handlerEntries(PyModeWorker worker) {
        List<String> crons = worker.getSpec() == null || worker.getSpec().getCrons() == null ? List.of()
                : worker.getSpec().getCrons();
        return crons.stream().map(CronSchedule::cloudflareExpression).distinct().map(ScheduleEntry::handler).toList();
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
