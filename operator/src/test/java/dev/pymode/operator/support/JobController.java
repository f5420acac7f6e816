package dev.pymode.operator.support;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStateTerminatedBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobConditionBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * Plays what the test API server lacks, the Job controller and the kubelet: a Job's pod as the Job controller
 * makes it, and Job and Pod status written through the status subresource, as they write it.
 */
public final class JobController {

    private JobController() {
    }

    /** The Job's interim condition, then its final one, with times; {@code reason} as the Job controller sets it. */
    public static void finish(KubernetesClient client, String namespace, String name, boolean succeeded, String reason,
                              String message) {
        Job job = client.batch().v1().jobs().inNamespace(namespace).withName(name).get();
        String now = now();
        var status = new JobStatusBuilder().withStartTime(now)
                .addToConditions(new JobConditionBuilder().withType(succeeded ? "SuccessCriteriaMet" : "FailureTarget")
                        .withStatus("True").withReason(reason).withMessage(message).build())
                .addToConditions(new JobConditionBuilder().withType(succeeded ? "Complete" : "Failed")
                        .withStatus("True").withReason(reason).withMessage(message).build());
        if (succeeded) {
            status.withCompletionTime(now).withSucceeded(1);
        } else {
            status.withFailed(1);
        }
        job.setStatus(status.build());
        client.resource(job).updateStatus();
    }

    /**
     * One pod of the Job (named, labelled and owned as the Job controller makes it), then its status with the
     * builder container terminated as given; {@code asLastState} puts the termination into lastState, as after a
     * container restart.
     */
    public static void podTerminated(KubernetesClient client, String namespace, String jobName,
                                     ContainerStateTerminated terminated, boolean asLastState) {
        Job job = client.batch().v1().jobs().inNamespace(namespace).withName(jobName).get();
        Pod pod = client.pods().inNamespace(namespace).resource(new PodBuilder()
                .withNewMetadata().withName(podName(jobName)).withNamespace(namespace)
                .addToLabels("job-name", jobName)
                .addToLabels("batch.kubernetes.io/job-name", jobName)
                .addToLabels("controller-uid", job.getMetadata().getUid())
                .addToLabels("batch.kubernetes.io/controller-uid", job.getMetadata().getUid())
                .addNewOwnerReference().withApiVersion("batch/v1").withKind("Job").withName(jobName)
                .withUid(job.getMetadata().getUid()).withController(true).withBlockOwnerDeletion(true)
                .endOwnerReference()
                .endMetadata()
                .withSpec(job.getSpec().getTemplate().getSpec())
                .build()).create();
        String image = job.getSpec().getTemplate().getSpec().getContainers().get(0).getImage();
        var state = new ContainerStateBuilder().withTerminated(terminated).build();
        var container = new ContainerStatusBuilder().withName("builder").withImage(image).withImageID(image)
                .withReady(false).withRestartCount(asLastState ? 1 : 0);
        if (asLastState) {
            container.withLastState(state).withNewState().withNewWaiting().withReason("CrashLoopBackOff")
                    .endWaiting().endState();
        } else {
            container.withState(state);
        }
        pod.setStatus(new PodStatusBuilder().withPhase(asLastState ? "Running" : "Failed")
                .withContainerStatuses(container.build()).build());
        client.resource(pod).updateStatus();
    }

    /** The name {@link #podTerminated} gives the Job's pod. */
    public static String podName(String jobName) {
        return jobName + "-x7k2p";
    }

    public static ContainerStateTerminated terminated(int exitCode, String reason, String message) {
        return new ContainerStateTerminatedBuilder().withExitCode(exitCode).withReason(reason).withMessage(message)
                .withStartedAt(now()).withFinishedAt(now()).build();
    }

    private static String now() {
        return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    }
}
