package dev.pymode.operator.builds;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.pymode.operator.api.v1alpha1.worker.PyModeWorkerSpec;

/**
 * A stable hash of everything that determines a worker bundle. Equal inputs give an equal key, which is the
 * artifact's tag in the registry, so a second worker with the same inputs (or the same worker after a
 * restart) finds the bundle instead of building it again.
 *
 * @param sourceDigest      digest of the project files
 * @param entry             entry module path
 * @param packages          requirement strings, in the order given (pip resolves them in that order)
 * @param extensionDigests  side-module artifact digests by extension name
 * @param runtimeRef        the runtime artifact, by digest
 * @param wizer             whether the bundle carries a Wizer snapshot (spec.wizer)
 * @param toolchain         identity of the builder (image digest, or the local tools' digest)
 */
public record BuildKey(String sourceDigest, String entry, List<String> packages, Map<String, String> extensionDigests,
                       String runtimeRef, SnapshotMode wizer, String toolchain) {

    /**
     * The key of a worker's bundle: of the spec, only its build inputs (packages, wizer) reach it; the source
     * digest, the entry and the extension digests are resolved from the spec before, the runtime and the
     * toolchain are the operator's. Deploy settings (bindings, routes, compatibility date, ...) never do.
     */
    public static BuildKey forWorker(PyModeWorkerSpec spec, String sourceDigest, String entry,
                                     Map<String, String> extensionDigests, String runtimeRef, String toolchain) {
        return new BuildKey(sourceDigest, entry, List.copyOf(spec.getPackages()), extensionDigests, runtimeRef,
                SnapshotMode.of(spec.getWizer()), toolchain);
    }

    /** Bumped when the meaning of the inputs changes, so old artifacts are not mistaken for new ones. */
    static final int SCHEME = 1;

    /** The key as 64 hex characters. */
    public String hash() {
        Map<String, Object> canonical = new TreeMap<>();
        canonical.put("scheme", SCHEME);
        canonical.put("source", sourceDigest);
        canonical.put("entry", entry);
        canonical.put("packages", packages);
        canonical.put("extensions", new TreeMap<>(extensionDigests));
        canonical.put("runtime", runtimeRef);
        canonical.put("wizer", wizer.keyValue());
        // The compatibility date left the build inputs (it is a deploy setting, SpecInput.Kind.DEPLOY); the empty
        // entry stays so that keys of workers that never set one are the keys they had, and nothing rebuilds.
        canonical.put("compatibilityDate", "");
        canonical.put("toolchain", toolchain);
        return CanonicalHash.of(canonical);
    }

    /** The registry tag (tags allow at most 128 of [A-Za-z0-9_.-]). */
    public String tag() {
        return "bk-" + hash();
    }
}
