package dev.pymode.operator.builds;

import java.util.List;
import java.util.Map;
import java.util.SortedMap;

import io.fabric8.kubernetes.api.model.OwnerReference;

/**
 * One build, as every executor receives it.
 *
 * @param namespace   namespace of the owning resource (and of the Job)
 * @param name        deterministic build name: the same inputs always map to the same Job, which is how a
 *                    restarted operator adopts a running build instead of starting a second one
 * @param owner       owner reference to the resource (garbage-collects the Job with it)
 * @param labels      labels for the Job and its pods (owner, build key)
 * @param subcommand  the builder's subcommand ({@code worker}, {@code extension})
 * @param sourceFiles files by relative path, delivered to the builder as its source directory
 * @param arguments   builder arguments after the source directory option (see {@link BuilderCommand})
 */
public record BuildRequest(String namespace, String name, OwnerReference owner, Map<String, String> labels,
                           String subcommand, SortedMap<String, byte[]> sourceFiles, List<String> arguments) {
}
