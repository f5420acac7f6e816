package dev.pymode.operator.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The python of pylib's cached venv (pylib/venv.sh), where the {@code pymode} CLI runs with its dependencies
 * (PyYAML, tomlkit, ...) installed: the system python may lack them.
 */
public final class PylibPython {

    private static String path;

    private PylibPython() {
    }

    /** Creates or updates the venv on first use (pip, once per pylib/pyproject.toml change). */
    public static synchronized String path() throws IOException, InterruptedException {
        if (path == null) {
            Process process = new ProcessBuilder("bash", TestPaths.repoRoot().resolve("pylib/venv.sh").toString())
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (process.waitFor() != 0 || out.isEmpty()) {
                throw new IOException("pylib/venv.sh failed (exit " + process.exitValue() + ")");
            }
            path = out;
        }
        return path;
    }
}
