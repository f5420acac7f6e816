package dev.pymode.delivery.cluster;

import java.nio.file.Path;

/**
 * What hack/test-cluster.sh prepared for the cluster tier: the running single-node cluster (hack/cluster/up.sh),
 * the images it built and pushed by digest (hack/cluster/images.sh) and the runtime artifact it published. Read
 * from the environment that script exports; a missing value fails the tier with the variable's name.
 */
record ClusterEnvironment(Path kubeconfig, Path bin, String operatorImage, String builderImage, String runtimeRef,
                          String registry, String hostAddress) {

    static ClusterEnvironment fromEnvironment() {
        return new ClusterEnvironment(Path.of(required("KUBECONFIG")), Path.of(required("PYMODE_CLUSTER_BIN")),
                required("PYMODE_OPERATOR_IMAGE"), required("PYMODE_BUILDER_IMAGE"),
                required("PYMODE_CLUSTER_RUNTIME_REF"), required("PYMODE_CLUSTER_REGISTRY"),
                required("PYMODE_CLUSTER_HOST_ADDRESS"));
    }

    /** The in-cluster repository of the operator image (without the digest). */
    String operatorRepository() {
        return operatorImage.substring(0, operatorImage.indexOf('@'));
    }

    String operatorDigest() {
        return operatorImage.substring(operatorImage.indexOf('@') + 1);
    }

    Path kubectl() {
        return bin.resolve("kubectl");
    }

    private static String required(String name) {
        String value = System.getenv(name);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException(name + " is not set: the cluster tier runs through hack/test-cluster.sh,"
                    + " which brings the cluster up, builds the images and exports it");
        }
        return value;
    }
}
