package dev.pymode.delivery.support;

import java.nio.file.Path;

import dev.pymode.devenv.RepositoryLayout;

/** Paths of the repository the delivery tests check. */
public final class Repo {

    private Repo() {
    }

    public static Path root() {
        return RepositoryLayout.root();
    }

    public static Path chart() {
        return root().resolve("charts/pymode-operator");
    }

    public static Path crds() {
        return root().resolve("crds");
    }

    public static Path argocd() {
        return root().resolve("hack/argocd");
    }

    public static Path gitops() {
        return root().resolve("examples/gitops");
    }

    public static Path examples() {
        return root().resolve("examples");
    }
}
