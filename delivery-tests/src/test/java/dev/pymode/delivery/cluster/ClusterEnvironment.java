package dev.pymode.delivery.cluster;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import dev.pymode.delivery.support.Repo;

/**
 * What hack/test-cluster.sh prepared for the cluster tier: the running single-node cluster (hack/cluster/up.sh),
 * the images it built and pushed by digest (hack/cluster/images.sh) and the runtime artifact it published. Read
 * from the environment that script exports; a missing value fails the tier with the variable's name.
 */
record ClusterEnvironment(Path kubeconfig, Path bin, Path stateDir, String operatorImage, String builderImage,
                          String runtimeRef, String registry, String hostAddress) {

    static ClusterEnvironment fromEnvironment() {
        return new ClusterEnvironment(Path.of(required("KUBECONFIG")), Path.of(required("PYMODE_CLUSTER_BIN")),
                Path.of(required("PYMODE_CLUSTER_DIR")), required("PYMODE_OPERATOR_IMAGE"),
                required("PYMODE_BUILDER_IMAGE"), required("PYMODE_CLUSTER_RUNTIME_REF"),
                required("PYMODE_CLUSTER_REGISTRY"), required("PYMODE_CLUSTER_HOST_ADDRESS"));
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

    /** Stops one of the cluster's processes (as hack/cluster/up.sh recorded it: registry, kube-apiserver, ...). */
    void stopProcess(String name) throws Exception {
        long pid = Long.parseLong(Files.readString(stateDir.resolve("pids").resolve(name + ".pid")).strip());
        ProcessHandle process = ProcessHandle.of(pid).orElseThrow(() -> new AssertionError(name + " (" + pid
                + ") is not running"));
        process.destroy();
        process.onExit().get(30, TimeUnit.SECONDS);
    }

    /** hack/cluster/up.sh: starts whatever of the cluster is not running, waits until it is all ready. */
    void startStoppedProcesses() throws Exception {
        Process up = new ProcessBuilder(Repo.root().resolve("hack/cluster/up.sh").toString())
                .redirectErrorStream(true).redirectOutput(stateDir.resolve("logs/up-again.log").toFile()).start();
        if (!up.waitFor(5, TimeUnit.MINUTES) || up.exitValue() != 0) {
            throw new AssertionError("hack/cluster/up.sh did not bring the cluster back: " + stateDir.resolve("logs"));
        }
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
