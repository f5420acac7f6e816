package dev.pymode.operator.worker;

import java.util.Collection;
import java.util.Comparator;
import java.util.Objects;
import java.util.Optional;

import dev.pymode.operator.api.v1alpha1.worker.PyModeWorker;

/**
 * Which worker a Cloudflare script belongs to when several name the same one: the oldest (creation time, then
 * namespace/name). Without this, two workers deploying one script (an explicit spec.cloudflare.scriptName, or
 * equal names in two namespaces) would overwrite each other's code on every reconcile, and deleting either would
 * delete the other's script. The younger one stalls naming the holder; the holder is not affected.
 *
 * <p>Accounts are compared as the specs give them (unset = the operator's default account), so a worker that
 * spells out the default account is not recognised as the same account as one that leaves it unset.
 */
final class ScriptClaims {

    private static final Comparator<PyModeWorker> SENIORITY = Comparator
            .comparing((PyModeWorker w) -> w.getMetadata().getCreationTimestamp(),
                    Comparator.nullsLast(Comparator.naturalOrder()))
            .thenComparing(w -> w.getMetadata().getNamespace())
            .thenComparing(w -> w.getMetadata().getName());

    private ScriptClaims() {
    }

    /** The older worker that holds the script {@code worker} asks for, if there is one. */
    static Optional<PyModeWorker> heldBy(PyModeWorker worker, Collection<PyModeWorker> all) {
        return all.stream()
                .filter(other -> !Objects.equals(other.getMetadata().getUid(), worker.getMetadata().getUid()))
                .filter(other -> other.getMetadata().getDeletionTimestamp() == null && other.getSpec() != null)
                .filter(other -> other.scriptName().equals(worker.scriptName())
                        && Objects.equals(account(other), account(worker)))
                .filter(other -> SENIORITY.compare(other, worker) < 0)
                .min(SENIORITY);
    }

    private static String account(PyModeWorker worker) {
        var cloudflare = worker.getSpec().getCloudflare();
        return cloudflare == null ? null : cloudflare.getAccountId();
    }
}
