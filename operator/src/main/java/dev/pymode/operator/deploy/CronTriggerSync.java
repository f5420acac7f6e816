package dev.pymode.operator.deploy;

import java.util.HashSet;
import java.util.List;

import dev.pymode.cloudflare.CloudflareClient;
import dev.pymode.cloudflare.CronTrigger;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorker;
import dev.pymode.operator.events.EventRecorder;

/**
 * Keeps a script's cron triggers equal to the schedules of the PyModeWorkflows that point at its worker.
 * Cloudflare replaces the whole set on each PUT, so the operator owns the set once it has set one; a script
 * that never had schedules from the operator is left alone (no calls).
 */
public class CronTriggerSync {

    private final EventRecorder events;

    public CronTriggerSync(EventRecorder events) {
        this.events = events;
    }

    /**
     * @param desired       the crons the workflows ask for (distinct)
     * @param managedBefore whether the operator deployed cron triggers for this script before
     * @param created       the script was created by this pass: it has no triggers yet, so they are set without
     *                      being read first (a fleet of new scheduled workers spends one call each, not two)
     */
    public void sync(CloudflareClient client, String account, String script, List<String> desired,
                     boolean managedBefore, boolean created, PyModeWorker worker) {
        if (desired.isEmpty() && (!managedBefore || created)) {
            return;
        }
        List<String> current = created ? List.of()
                : client.schedules(account, script).stream().map(CronTrigger::cron).toList();
        if (new HashSet<>(current).equals(new HashSet<>(desired))) {
            return;
        }
        client.putSchedules(account, script, desired);
        String set = desired.isEmpty() ? "none" : String.join(", ", desired);
        if (managedBefore && !current.isEmpty()) {
            events.normal(worker, "CronTriggersUpdated", "cron triggers of " + script + " were " + String.join(", ",
                    current) + "; set to " + set);
        } else {
            events.normal(worker, "CronTriggersUpdated", "cron triggers of " + script + " set to " + set);
        }
    }
}
