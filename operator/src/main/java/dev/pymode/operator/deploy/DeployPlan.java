package dev.pymode.operator.deploy;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BooleanSupplier;

import dev.pymode.cloudflare.WorkerScript;
import dev.pymode.operator.api.v1alpha1.worker.WorkerDeployment;

/**
 * The decisions of the {@code Deployed} stage ({@link WorkerDeployStage}) that depend only on what it observed: the
 * worker's recorded deployment, the account's listing of the script, the inputs and upload digests, the clock. Kept
 * apart from the calls so they can be tested without Cloudflare or a stand-in.
 */
final class DeployPlan {

    private DeployPlan() {
    }

    /**
     * The steady state: the same script, still listed as last seen, the same inputs, no verification due and what
     * the worker relies on in the account (its shared assets script, its queue consumers) in place; then no call is
     * made at all. {@code accountInPlace} is asked last (it may read a listing).
     */
    static boolean steady(WorkerDeployment current, boolean sameScript, Optional<WorkerScript> listed, String inputs,
                          boolean verificationDue, BooleanSupplier accountInPlace) {
        return sameScript && listed.isPresent() && inputs.equals(current.getInputsDigest())
                && Objects.equals(listed.get().modifiedOn(), current.getObservedModifiedOn())
                && !verificationDue && accountInPlace.getAsBoolean();
    }

    /**
     * Settings, subdomain, routes and cron triggers are read back now and then even when the listing shows no change
     * (Cloudflare does not move modified_on for all of them); each script at its own point of the interval (75 to
     * 100% of it, by its name), so a fleet does not verify at once.
     */
    static boolean verificationDue(WorkerDeployment deployment, String script, Duration interval, Instant now) {
        if (deployment.getVerifiedAt() == null) {
            return true;
        }
        double spread = 0.75 + 0.25 * Math.floorMod(script.hashCode(), 1000) / 1000.0;
        Duration every = Duration.ofMillis((long) (interval.toMillis() * spread));
        return !now.isBefore(Instant.parse(deployment.getVerifiedAt()).plus(every));
    }

    /**
     * What the upload's digest says about the listed script.
     *
     * @param sameScript    the worker's recorded deployment is of this script in this account
     * @param deployedByUs  the worker's own deployment of the same script recorded this upload
     * @param carriesDigest the listed script is tagged with this upload's digest (deployed from the same bundle,
     *                      settings and secrets, maybe by this operator before the worker's status was lost)
     * @param listed        the account's listing shows the script
     */
    record UploadCheck(boolean sameScript, boolean deployedByUs, boolean carriesDigest, boolean listed) {

        static UploadCheck of(WorkerDeployment current, boolean sameScript, Optional<WorkerScript> listed,
                              String uploadDigest) {
            return new UploadCheck(sameScript, sameScript && uploadDigest.equals(current.getUploadDigest()),
                    listed.map(r -> r.tags().contains(DeployDigests.tag(uploadDigest))).orElse(false),
                    listed.isPresent());
        }

        /** Read the script's settings: if its bindings are as sent, it is kept (ours) or adopted, without an upload. */
        boolean verifyInsteadOfUpload() {
            return listed && (deployedByUs || carriesDigest);
        }

        /**
         * The permits a pass takes at once for the calls this check leads to (more are taken one by one): a
         * verification or adoption reads settings, the deployment and workers.dev; a deploy uploads, deploys or names
         * its version, tags and publishes (the shared assets script, {@link SharedAssetsScript}, once per account,
         * takes its permits one by one). Reserving a deploy's four for a verification would hold back other passes
         * when a fleet is verified at once (statuses lost).
         */
        int permits() {
            return verifyInsteadOfUpload() ? 3 : 4;
        }

        /** Ours, but gone from the account (or from its listing) or not as sent: deployed again, with a warning. */
        boolean lost() {
            return sameScript && (!listed || deployedByUs);
        }
    }
}
