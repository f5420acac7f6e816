package dev.pymode.operator.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import dev.pymode.cloudflare.WorkerScript;
import dev.pymode.operator.api.v1alpha1.worker.WorkerDeployment;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What the Deployed stage plans for the state it observed, without Cloudflare: no call in the steady state, a
 * verification spread over the interval, and, once the upload's digest is known, a settings read (keep or adopt)
 * instead of an upload only for a script that already runs this upload.
 */
@Tag("unit")
class DeployPlanTest {

    private static final Instant NOW = Instant.parse("2026-12-07T12:00:00Z");
    private static final String INPUTS = "sha256:inputs";
    private static final String DIGEST = "sha256:" + "d".repeat(64);

    private static WorkerDeployment recorded() {
        var deployment = new WorkerDeployment();
        deployment.setScriptName("shop");
        deployment.setAccountId("acc");
        deployment.setInputsDigest(INPUTS);
        deployment.setObservedModifiedOn("2026-12-07T11:00:00Z");
        deployment.setUploadDigest(DIGEST);
        deployment.setVerifiedAt("2026-12-07T11:59:00Z");
        return deployment;
    }

    private static Optional<WorkerScript> listed(String modifiedOn, String... tags) {
        return Optional.of(new WorkerScript("shop", "etag", "v1", modifiedOn, List.of(tags)));
    }

    @Test
    void theSteadyStateMakesNoCall() {
        assertThat(DeployPlan.steady(recorded(), true, listed("2026-12-07T11:00:00Z"), INPUTS, false, () -> true))
                .isTrue();
    }

    @Test
    void anythingObservedThatMovedEndsTheSteadyState() {
        WorkerDeployment current = recorded();
        Optional<WorkerScript> same = listed("2026-12-07T11:00:00Z");
        assertThat(DeployPlan.steady(current, false, same, INPUTS, false, () -> true)).as("another script").isFalse();
        assertThat(DeployPlan.steady(current, true, Optional.empty(), INPUTS, false, () -> true)).as("not listed").isFalse();
        assertThat(DeployPlan.steady(current, true, listed("2026-12-07T11:30:00Z"), INPUTS, false, () -> true))
                .as("changed outside the operator").isFalse();
        assertThat(DeployPlan.steady(current, true, same, "sha256:other", false, () -> true)).as("new inputs").isFalse();
        assertThat(DeployPlan.steady(current, true, same, INPUTS, true, () -> true)).as("verification due").isFalse();
        assertThat(DeployPlan.steady(current, true, same, INPUTS, false, () -> false)).as("consumers").isFalse();
    }

    @Test
    void theConsumersAreCheckedLastBecauseThatMayReadAListing() {
        AtomicInteger asked = new AtomicInteger();
        DeployPlan.steady(recorded(), true, listed("2026-12-07T11:30:00Z"), INPUTS, false, () -> asked.incrementAndGet() > 0);
        assertThat(asked).hasValue(0);
    }

    private static final Duration INTERVAL = Duration.ofMinutes(60);
    private static final Instant VERIFIED = Instant.parse("2026-12-07T11:00:00Z");

    /** Whether a script verified at VERIFIED is due to be verified again this long after. */
    private static boolean dueAfter(String script, Duration elapsed) {
        WorkerDeployment deployment = recorded();
        deployment.setVerifiedAt(VERIFIED.toString());
        return DeployPlan.verificationDue(deployment, script, INTERVAL, VERIFIED.plus(elapsed));
    }

    @Test
    void verificationIsDueWithinThreeQuartersToAllOfTheInterval() {
        for (String script : List.of("shop", "api", "orders", "a-much-longer-script-name")) {
            assertThat(dueAfter(script, Duration.ofMinutes(44))).as(script + " before 75%").isFalse();
            assertThat(dueAfter(script, INTERVAL)).as(script + " at 100%").isTrue();
        }
        WorkerDeployment never = recorded();
        never.setVerifiedAt(null);
        assertThat(DeployPlan.verificationDue(never, "shop", INTERVAL, NOW)).as("never verified").isTrue();
    }

    @Test
    void aFleetDoesNotVerifyAtOnce() {
        long due = java.util.stream.IntStream.range(0, 200).mapToObj(i -> "worker-" + i)
                .filter(s -> dueAfter(s, Duration.ofMinutes(50))).count();
        assertThat(due).as("some, not all, of 200 scripts are due at 5/6 of the interval").isBetween(20L, 180L);
    }

    @Test
    void aScriptThatRunsThisUploadIsVerifiedNotUploaded() {
        DeployPlan.UploadCheck ours = DeployPlan.UploadCheck.of(recorded(), true, listed("t"), DIGEST);
        assertThat(ours.deployedByUs()).isTrue();
        assertThat(ours.verifyInsteadOfUpload()).isTrue();

        // status lost (a restored cluster): the script's tag carries the digest, so it is adopted
        DeployPlan.UploadCheck tagged = DeployPlan.UploadCheck.of(null, false, listed("t", "team", DeployDigests.tag(DIGEST)), DIGEST);
        assertThat(tagged.deployedByUs()).isFalse();
        assertThat(tagged.carriesDigest()).isTrue();
        assertThat(tagged.verifyInsteadOfUpload()).isTrue();
        assertThat(tagged.lost()).isFalse();
        assertThat(ours.permits()).as("settings, deployment, workers.dev").isEqualTo(3);
        assertThat(tagged.permits()).isEqualTo(3);
    }

    @Test
    void aNewUploadOrAForeignScriptIsUploaded() {
        WorkerDeployment current = recorded();
        DeployPlan.UploadCheck changed = DeployPlan.UploadCheck.of(current, true, listed("t", DeployDigests.tag(DIGEST)),
                "sha256:" + "e".repeat(64));
        assertThat(changed.verifyInsteadOfUpload()).isFalse();
        assertThat(changed.lost()).as("a new upload is no loss").isFalse();
        DeployPlan.UploadCheck foreign = DeployPlan.UploadCheck.of(null, false, listed("t", "someone-elses"), DIGEST);
        assertThat(foreign.verifyInsteadOfUpload()).isFalse();
        assertThat(changed.permits()).as("a deploy reserves more than a verification").isEqualTo(4);
        assertThat(foreign.permits()).isEqualTo(4);
    }

    @Test
    void ourScriptGoneFromTheAccountIsDeployedAgainAsALoss() {
        DeployPlan.UploadCheck gone = DeployPlan.UploadCheck.of(recorded(), true, Optional.empty(), DIGEST);
        assertThat(gone.verifyInsteadOfUpload()).isFalse();
        assertThat(gone.lost()).isTrue();
    }
}
