package dev.pymode.operator.builds;

import java.util.Map;
import java.util.TreeMap;

/**
 * A stable hash of everything that determines an extension artifact: the recipe files it is built from (the
 * recipe, the recipes it depends on, their patches), the runtime it is compiled against and the toolchain.
 * Equal inputs give an equal key, the artifact's tag, so every worker and namespace shares one build.
 *
 * @param recipe        name of the recipe to build
 * @param recipesDigest digest of the recipe files (see {@code RecipeClosure})
 * @param runtimeRef    the runtime artifact, by digest (headers and ABI)
 * @param toolchain     identity of the builder
 */
public record ExtensionBuildKey(String recipe, String recipesDigest, String runtimeRef, String toolchain) {

    /** Bumped when the meaning of the inputs changes. */
    static final int SCHEME = 1;

    public String hash() {
        Map<String, Object> canonical = new TreeMap<>();
        canonical.put("scheme", SCHEME);
        canonical.put("kind", "extension");
        canonical.put("recipe", recipe);
        canonical.put("recipes", recipesDigest);
        canonical.put("runtime", runtimeRef);
        canonical.put("toolchain", toolchain);
        return CanonicalHash.of(canonical);
    }

    /** The registry tag. */
    public String tag() {
        return "xk-" + hash();
    }
}
