package dev.pymode.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pymode.operator.api.v1alpha1.common.LocalObjectReference;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorker;
import dev.pymode.operator.api.v1alpha1.workflow.PyModeWorkflow;
import dev.pymode.operator.api.v1alpha1.workflow.PyModeWorkflowSpec;
import dev.pymode.operator.api.v1alpha1.workflow.WorkflowRun;
import dev.pymode.operator.support.EndToEndResource;
import dev.pymode.operator.support.Namespaces;
import dev.pymode.operator.support.Workers;
import dev.pymode.operator.support.Standin;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * PyModeWorkflow on the deployed worker: a manual run by annotation, and a schedule deployed as a cron trigger of
 * the worker's script that the stand-in fires each minute in workerd; both runs reported in status.
 */
@QuarkusTest
@QuarkusTestResource(value = EndToEndResource.class, restrictToAnnotatedClass = true)
@Tag("e2e")
class WorkflowEndToEndTest {

    private static final String NS = "e2e-workflow";
    private static final String CODE = """
            from pymode.workers import Response
            from pymode.workflows import Workflow

            orders = Workflow("process-order")

            @orders.step
            def validate(ctx):
                return {"order": ctx.input["order"], "valid": True}

            @orders.step
            def total(ctx):
                return ctx.results["validate"]["order"] * 2

            def on_fetch(request, env):
                return Response("orders")
            """;

    @Inject
    KubernetesClient client;

    private PyModeWorkflow workflow(String name) {
        return client.resources(PyModeWorkflow.class).inNamespace(NS).withName(name).get();
    }


    @Test
    void manualAndScheduledRunsAreReported() throws Exception {
        Namespaces.ensure(client, NS);
        client.resource(Workers.inline(NS, "orders", CODE)).create();

        var spec = new PyModeWorkflowSpec();
        spec.setWorkerRef(new LocalObjectReference("orders"));
        spec.setWorkflow("process-order");
        spec.setInput(new ObjectMapper().readTree("{\"order\": 21}"));
        var manual = new PyModeWorkflow();
        manual.setMetadata(new ObjectMetaBuilder().withName("on-demand").withNamespace(NS)
                .withAnnotations(Map.of(PyModeWorkflow.RUN_REQUESTED_AT, Instant.now().toString())).build());
        manual.setSpec(spec);
        client.resource(manual).create();

        WorkflowRun run = await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofSeconds(1)).until(() -> {
            PyModeWorkflow current = workflow("on-demand");
            return current == null || current.getStatus() == null || current.getStatus().getRuns().isEmpty() ? null
                    : current.getStatus().getRuns().get(0);
        }, r -> r != null && ("Succeeded".equals(r.getState()) || "Failed".equals(r.getState())));
        assertThat(run.getState()).as("run error: %s", run.getError()).isEqualTo("Succeeded");
        assertThat(run.getTrigger()).isEqualTo("Manual");
        assertThat(run.getSteps()).extracting(s -> s.getName()).containsExactly("validate", "total");
        assertThat(run.getSteps().get(1).getResult().asInt()).isEqualTo(42);

        var scheduledSpec = new PyModeWorkflowSpec();
        scheduledSpec.setWorkerRef(new LocalObjectReference("orders"));
        scheduledSpec.setWorkflow("process-order");
        scheduledSpec.setInput(new ObjectMapper().readTree("{\"order\": 5}"));
        scheduledSpec.setSchedule("* * * * *");
        var scheduled = new PyModeWorkflow();
        scheduled.setMetadata(new ObjectMetaBuilder().withName("every-minute").withNamespace(NS).build());
        scheduled.setSpec(scheduledSpec);
        client.resource(scheduled).create();

        PyModeWorker deployed = await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1))
                .until(() -> client.resources(PyModeWorker.class).inNamespace(NS).withName("orders").get(),
                        w -> w.getStatus() != null && w.getStatus().getDeployment() != null && w.getStatus()
                                .getDeployment().getSchedules().stream().anyMatch(t -> "every-minute".equals(
                                        t.getWorkflow()) && "* * * * *".equals(t.getCron())));
        assertThat(Standin.crons("orders")).containsExactly("* * * * *");
        assertThat(deployed.getStatus().getDeployment().getSchedules()).hasSize(1);

        // The stand-in fires the trigger at the next minute; the Worker starts the run, the operator reports it.
        PyModeWorkflow withRun = await().atMost(Duration.ofSeconds(150)).pollInterval(Duration.ofSeconds(2))
                .until(() -> workflow("every-minute"), w -> w.getStatus() != null && w.getStatus().getRuns().stream()
                        .anyMatch(r -> "Schedule".equals(r.getTrigger()) && "Succeeded".equals(r.getState())));
        WorkflowRun fired = withRun.getStatus().getRuns().stream().filter(r -> "Schedule".equals(r.getTrigger()))
                .findFirst().orElseThrow();
        assertThat(fired.getId()).matches("every-minute-[0-9]+");
        long firedAt = Long.parseLong(fired.getId().substring("every-minute-".length()));
        assertThat(firedAt % 60).as("a cron firing is at a minute boundary").isZero();
        assertThat(fired.getSteps().get(1).getResult().asInt()).isEqualTo(10);
        assertThat(withRun.getStatus().getNextScheduleTime()).isNotNull();
        assertThat(withRun.getStatus().getLastScheduleTime()).isEqualTo(Instant.ofEpochSecond(firedAt).toString());
        // how far the worker's runs were looked for is kept in status (the CRD's schema keeps the fields)
        assertThat(withRun.getStatus().getCheckedSchedule()).isEqualTo("* * * * *");
        assertThat(Instant.parse(withRun.getStatus().getScheduleCheckedThrough()))
                .isAfterOrEqualTo(Instant.ofEpochSecond(firedAt));
        assertThat(withRun.getStatus().getConditions()).anySatisfy(c -> {
            assertThat(c.getType()).isEqualTo("Scheduled");
            assertThat(c.getMessage()).contains("cron trigger '* * * * *' on script orders");
        });

        // Suspending the workflow takes its trigger off the script.
        client.resources(PyModeWorkflow.class).inNamespace(NS).withName("every-minute")
                .edit(w -> { w.getSpec().setSuspend(true); return w; });
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1))
                .until(() -> Standin.crons("orders").isEmpty());
        await().atMost(Duration.ofSeconds(30)).until(() -> client.resources(PyModeWorker.class).inNamespace(NS)
                .withName("orders").get().getStatus().getDeployment().getSchedules().isEmpty());
        // no trigger in force: the checked schedule is forgotten, so a resume starts looking afresh
        await().atMost(Duration.ofSeconds(30)).until(() -> workflow("every-minute").getStatus(),
                s -> s.getCheckedSchedule() == null && s.getNextScheduleTime() == null);
    }
}
