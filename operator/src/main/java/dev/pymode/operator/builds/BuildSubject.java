package dev.pymode.operator.builds;

import java.util.List;
import java.util.SortedMap;

import dev.pymode.operator.api.v1alpha1.common.ArtifactReference;
import dev.pymode.operator.api.v1alpha1.common.BuildProgress;
import io.fabric8.kubernetes.api.model.HasMetadata;

/**
 * One resource's build as {@link BuildOrchestrator} drives it: what identifies the output (key, repository), how
 * to make it (builder subcommand, arguments, source files) and where its progress and result are recorded.
 */
public interface BuildSubject {

    /** The resource that owns the build (events, owner reference, labels). */
    HasMetadata resource();

    /** 64 hex characters over every input that determines the artifact. */
    String keyHash();

    /** The registry tag the artifact is stored under (derived from the key). */
    String tag();

    /** Registry repository of this kind of artifact. */
    String repository();

    /** Short marker in build (Job) names, so a worker and an extension of the same name never share one. */
    String buildNameMarker();

    /** Builder subcommand ({@code worker}, {@code extension}). */
    String subcommand();

    /** Builder arguments after {@code --source <dir>}, pushing to {@code pushReference}. */
    List<String> arguments(String pushReference);

    /** Files the builder receives as its source directory. */
    SortedMap<String, byte[]> sourceFiles();

    /** The build in progress (or last failed) recorded on the status, or null. */
    BuildProgress progress();

    void progress(BuildProgress progress);

    /** The artifact recorded on the status, or null. */
    ArtifactReference artifact();

    void artifact(ArtifactReference artifact);

    /** The builder stopped because the packages need these catalogue recipes ({@link RecipeRequest}). */
    default void recipesNeeded(RecipeRequest request) {
    }

    /** Whether a build of this subject cancels the resource's other builds of the same kind (stale inputs). */
    default boolean cancelsStaleBuilds() {
        return true;
    }
}
