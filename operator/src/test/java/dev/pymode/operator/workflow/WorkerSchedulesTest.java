package dev.pymode.operator.workflow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pymode.operator.api.v1alpha1.common.LocalObjectReference;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorker;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorkerSpec;
import dev.pymode.operator.api.v1alpha1.workflow.ConcurrencyPolicy;
import dev.pymode.operator.api.v1alpha1.workflow.PyModeWorkflow;
import dev.pymode.operator.api.v1alpha1.workflow.PyModeWorkflowSpec;
import dev.pymode.operator.api.v1alpha1.workflow.RetryPolicy;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class WorkerSchedulesTest {

    private static PyModeWorkflow workflow(String name, String schedule, boolean suspend) {
        var spec = new PyModeWorkflowSpec();
        spec.setWorkerRef(new LocalObjectReference("orders"));
        spec.setWorkflow("process-order");
        spec.setSchedule(schedule);
        spec.setSuspend(suspend);
        var workflow = new PyModeWorkflow();
        workflow.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace("ns").build());
        workflow.setSpec(spec);
        return workflow;
    }

    @Test
    void scheduledUnsuspendedWorkflowsBecomeEntriesSortedByName() throws Exception {
        PyModeWorkflow nightly = workflow("nightly", "@daily", false);
        nightly.getSpec().setInput(new ObjectMapper().readTree("{\"batch\": 7}"));
        nightly.getSpec().setConcurrencyPolicy(ConcurrencyPolicy.Replace);
        RetryPolicy retry = new RetryPolicy();
        retry.setRetries(5);
        nightly.getSpec().setRetry(retry);
        List<ScheduleEntry> entries = WorkerSchedules.of(List.of(
                nightly, workflow("adhoc", null, false), workflow("paused", "* * * * *", true),
                workflow("every-5m", "*/5  * * * *", false), workflow("also-daily", "0 0 * * *", false)));

        assertThat(entries).extracting(ScheduleEntry::resource).containsExactly("also-daily", "every-5m", "nightly");
        ScheduleEntry entry = entries.get(2);
        assertThat(entry.cron()).isEqualTo("0 0 * * *");
        assertThat(entry.workflow()).isEqualTo("process-order");
        assertThat(entry.input().path("batch").asInt()).isEqualTo(7);
        assertThat(entry.concurrency()).isEqualTo("Replace");
        assertThat(entry.retry()).isEqualTo(new ScheduleEntry.RunRetry(5, 1.0, 2.0));
        assertThat(entries.get(1).retry()).isNull();
        assertThat(entries.get(1).concurrency()).isEqualTo("Forbid");
        // two workflows on one cron share one trigger
        assertThat(WorkerSchedules.crons(entries)).containsExactly("0 0 * * *", "*/5 * * * *");
    }

    @Test
    void theVarIsWhatTheWorkerParses() throws Exception {
        String json = new ObjectMapper().writeValueAsString(WorkerSchedules.of(List.of(workflow("w", "@hourly", false))));
        assertThat(json).isEqualTo("[{\"cron\":\"0 * * * *\",\"workflow\":\"process-order\",\"resource\":\"w\","
                + "\"concurrency\":\"Forbid\"}]");
    }

    @Test
    void anInvalidScheduleIsLeftOutOfTheWorkersTriggers() {
        List<ScheduleEntry> entries = WorkerSchedules.of(List.of(workflow("bad-minute", "61 * * * *", false),
                workflow("bad-macro", "@fortnightly", false), workflow("good", "*/5 * * * *", false)));
        assertThat(entries).extracting(ScheduleEntry::resource).containsExactly("good");
        assertThat(WorkerSchedules.crons(entries)).containsExactly("*/5 * * * *");
    }

    private static PyModeWorker worker(String... crons) {
        var spec = new PyModeWorkerSpec();
        spec.setCrons(List.of(crons));
        var worker = new PyModeWorker();
        worker.setMetadata(new ObjectMetaBuilder().withName("orders").withNamespace("ns").build());
        worker.setSpec(spec);
        return worker;
    }

    @Test
    void theWorkersOwnCronsCallItsScheduledHandlerAndShareTriggersWithWorkflows() throws Exception {
        List<ScheduleEntry> entries = WorkerSchedules.of(worker("@hourly", "*/5  * * * *", "0 * * * *"),
                List.of(workflow("every-5m", "*/5 * * * *", false)));
        // each of the worker's crons once, in Cloudflare's form, before the workflows' entries
        assertThat(entries).extracting(ScheduleEntry::cron, ScheduleEntry::handler, ScheduleEntry::resource)
                .containsExactly(tuple("0 * * * *", "scheduled", null),
                        tuple("*/5 * * * *", "scheduled", null),
                        tuple("*/5 * * * *", null, "every-5m"));
        assertThat(WorkerSchedules.crons(entries)).containsExactly("0 * * * *", "*/5 * * * *");
        assertThat(new ObjectMapper().writeValueAsString(entries.get(0)))
                .isEqualTo("{\"cron\":\"0 * * * *\",\"handler\":\"scheduled\"}");
        assertThat(WorkerSchedules.of(worker(), List.of())).isEmpty();
    }
}
