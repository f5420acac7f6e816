package dev.pymode.devenv;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Locates the repository and the provisioned kube-api-test binaries. */
public final class RepositoryLayout {

    private RepositoryLayout() {
    }

    /** The repository root: {@code pymode.repo-root}, else the nearest parent holding hack/provision-kube-api-test.sh. */
    public static Path root() {
        String configured = System.getProperty("pymode.repo-root");
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured).toAbsolutePath();
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.exists(dir.resolve("hack/provision-kube-api-test.sh"))) {
                return dir;
            }
        }
        throw new IllegalStateException("cannot find the repository root (hack/provision-kube-api-test.sh); "
                + "set -Dpymode.repo-root");
    }

    /**
     * The kube-api-test base directory: {@code KUBE_API_TEST_DIR} when set, else the result of running the
     * provisioning script (which is a fast no-op once the binaries are cached).
     */
    public static Path kubeApiTestDir() {
        String fromEnv = System.getenv("KUBE_API_TEST_DIR");
        if (fromEnv != null && !fromEnv.isBlank()) {
            return Path.of(fromEnv);
        }
        return runProvisioning("hack/provision-kube-api-test.sh");
    }

    /** Directory holding the {@code registry} and {@code oras} binaries (hack/provision-oci-tools.sh). */
    public static Path ociToolsBin() {
        return runProvisioning("hack/provision-oci-tools.sh");
    }

    /** Runs a provisioning script (a fast no-op once cached) and returns the path it prints last. */
    private static Path runProvisioning(String relativeScript) {
        Path script = root().resolve(relativeScript);
        try {
            Process process = new ProcessBuilder(List.of("bash", script.toString()))
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            int rc = process.waitFor();
            if (rc != 0 || out.isEmpty()) {
                throw new IllegalStateException(script + " failed with exit code " + rc);
            }
            String[] lines = out.split("\\R");
            return Path.of(lines[lines.length - 1]);
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + script + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + script + "", e);
        }
    }
}
