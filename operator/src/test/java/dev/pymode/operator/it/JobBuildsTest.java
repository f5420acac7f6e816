package dev.pymode.operator.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;

import dev.pymode.operator.api.v1alpha1.worker.PyModeWorker;
import dev.pymode.operator.builds.BuildLabels;
import dev.pymode.operator.status.Conditions;
import dev.pymode.operator.support.JobBuildsResource;
import dev.pymode.operator.support.JobController;
import dev.pymode.operator.support.Namespaces;
import dev.pymode.operator.support.Workers;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The operator with builds as Jobs, as in a cluster: what happens to a Job (it finishes, it is deleted) reaches
 * the worker through the Job informer at once, not at the next periodic look. The test plays the Job controller
 * and the kubelet.
 */
@QuarkusTest
@QuarkusTestResource(value = JobBuildsResource.class, restrictToAnnotatedClass = true)
@Tag("apiserver")
class JobBuildsTest {

    private static final String NS = "job-builds-live";
    /** Well under the safety recheck (60 s) and under the 5 s poll it replaced, with room for a loaded machine. */
    private static final Duration AT_ONCE = Duration.ofSeconds(3);

    @Inject
    KubernetesClient client;

    @BeforeEach
    void namespace() {
        Namespaces.ensure(client, NS);
    }

    private List<Job> jobsOf(String worker) {
        return client.batch().v1().jobs().inNamespace(NS).withLabel(BuildLabels.OWNER_NAME, worker).list().getItems();
    }

    private Condition built(String worker) {
        PyModeWorker current = client.resources(PyModeWorker.class).inNamespace(NS).withName(worker).get();
        return current == null || current.getStatus() == null ? null
                : Conditions.find(current.getStatus().getConditions(), "Built").orElse(null);
    }

    private Condition awaitBuilt(String worker, String reason, Duration timeout) {
        return await().atMost(timeout).pollInterval(Duration.ofMillis(100)).until(() -> built(worker),
                c -> c != null && reason.equals(c.getReason()));
    }

    /** The worker's Job once the worker is Building; then a pause, so no reconcile is due by chance right after. */
    private Job buildingJob(String worker) throws InterruptedException {
        client.resource(Workers.inline(NS, worker, "def on_fetch(request, env):\n    return None  # " + worker + "\n"))
                .create();
        awaitBuilt(worker, "Building", Duration.ofSeconds(30));
        List<Job> jobs = jobsOf(worker);
        assertThat(jobs).hasSize(1);
        Thread.sleep(1000);
        return jobs.get(0);
    }

    @Test
    void aJobThatFailsWakesItsWorkerAtOnce() throws Exception {
        Job job = buildingJob("wake-failed");
        String name = job.getMetadata().getName();
        JobController.podTerminated(client, NS, name, JobController.terminated(137, "OOMKilled", null), false);
        long finished = System.nanoTime();
        JobController.finish(client, NS, name, false, "BackoffLimitExceeded", "Job has reached the specified backoff limit");

        Condition stalled = awaitBuilt("wake-failed", "BuildOutOfMemory", Duration.ofSeconds(70));
        assertThat(Duration.ofNanos(System.nanoTime() - finished)).as("from the Job's Failed condition to the worker's")
                .isLessThan(AT_ONCE);
        assertThat(stalled.getMessage()).contains("limit 4Gi");
        PyModeWorker worker = client.resources(PyModeWorker.class).inNamespace(NS).withName("wake-failed").get();
        assertThat(Conditions.find(worker.getStatus().getConditions(), "Stalled")).get()
                .satisfies(c -> assertThat(c.getReason()).isEqualTo("BuildOutOfMemory"));
    }

    @Test
    void aJobThatCompletesWakesItsWorkerAtOnce() throws Exception {
        Job job = buildingJob("wake-complete");
        long finished = System.nanoTime();
        // Complete, but nothing was pushed (no real builder ran): the worker reports exactly that
        JobController.finish(client, NS, job.getMetadata().getName(), true, null, null);

        Condition failed = awaitBuilt("wake-complete", "BuildFailed", Duration.ofSeconds(70));
        assertThat(Duration.ofNanos(System.nanoTime() - finished)).as("from the Job's Complete condition to the worker's")
                .isLessThan(AT_ONCE);
        assertThat(failed.getMessage()).contains("attempt 1 of 4 failed").contains("the registry has no");
    }

    @Test
    void aJobDeletedByHandIsStartedAgainAtOnceUnderTheSameName() throws Exception {
        Job job = buildingJob("wake-deleted");
        String name = job.getMetadata().getName();
        long deleted = System.nanoTime();
        client.batch().v1().jobs().inNamespace(NS).withName(name).delete();

        Job again = await().atMost(Duration.ofSeconds(70)).pollInterval(Duration.ofMillis(100))
                .until(() -> client.batch().v1().jobs().inNamespace(NS).withName(name).get(),
                        j -> j != null && !j.getMetadata().getUid().equals(job.getMetadata().getUid()));
        assertThat(Duration.ofNanos(System.nanoTime() - deleted)).as("from the deletion to the new Job")
                .isLessThan(AT_ONCE);
        Condition building = awaitBuilt("wake-deleted", "Building", Duration.ofSeconds(10));
        assertThat(building.getMessage()).contains("restarted build " + name);

        Thread.sleep(1000); // whatever else reconciles the worker now finds the new Job
        assertThat(jobsOf("wake-deleted")).singleElement()
                .satisfies(j -> assertThat(j.getMetadata().getUid()).isEqualTo(again.getMetadata().getUid()));
        PyModeWorker worker = client.resources(PyModeWorker.class).inNamespace(NS).withName("wake-deleted").get();
        assertThat(worker.getStatus().getBuild().getFailedAttempts()).isZero();
        assertThat(client.v1().events().inNamespace(NS).list().getItems()).filteredOn(
                e -> "wake-deleted".equals(e.getInvolvedObject().getName())).extracting(e -> e.getReason())
                .containsOnlyOnce("BuildStarted", "BuildRestarted").doesNotContain("BuildFailed");
    }
}
