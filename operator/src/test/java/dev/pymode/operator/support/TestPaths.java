package dev.pymode.operator.support;

import java.nio.file.Path;

import dev.pymode.devenv.RepositoryLayout;

/** Paths the tests read: the committed CRDs, the ones the build generated, the examples. */
public final class TestPaths {

    private TestPaths() {
    }

    public static Path repoRoot() {
        return RepositoryLayout.root();
    }

    public static Path committedCrds() {
        return repoRoot().resolve("crds");
    }

    public static Path generatedCrds() {
        String dir = System.getProperty("pymodetest.generated-crds");
        return dir != null ? Path.of(dir) : repoRoot().resolve("operator/target/crds");
    }

    /** The provisioned kubectl (kustomize for the examples). */
    public static Path kubectl() {
        return dev.pymode.devenv.RepositoryLayout.kubeApiTestDir().resolve("k8s")
                .resolve(dev.pymode.devenv.LocalApiServer.KUBERNETES_VERSION + "-linux-amd64").resolve("kubectl");
    }

    public static Path examples() {
        return repoRoot().resolve("examples");
    }
}
