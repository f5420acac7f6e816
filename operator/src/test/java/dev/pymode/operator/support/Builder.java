package dev.pymode.operator.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pymode.devenv.RepositoryLayout;

/** Runs the real builder program (builder-image/bundler/pymode_build.py) and oras, as tests need them. */
public final class Builder {

    private Builder() {
    }

    /** The runtime the tests build on: what `make test-runtime` (builder-image/runtime/build.sh) produced. */
    public static Path runtimeDir() {
        String configured = System.getenv("PYMODE_RUNTIME_DIR");
        Path dir = configured != null ? Path.of(configured)
                : Path.of(System.getProperty("user.home"), ".cache", "pymode", "runtime", "current");
        if (!Files.isRegularFile(dir.resolve("python.wasm"))) {
            throw new IllegalStateException("no runtime at " + dir + ": build it first with builder-image/runtime/build.sh "
                    + "(make test-runtime does)");
        }
        return dir;
    }

    /** Publishes the runtime to the registry and returns its repo@sha256 reference. */
    public static String publishRuntime(String registryHost) throws IOException, InterruptedException {
        String out = run("runtime", "--runtime-dir", runtimeDir().toString(),
                "--push", registryHost + "/pymode/runtime:test");
        return new ObjectMapper().readTree(out).path("ref").asText();
    }

    /** Runs the builder with the given arguments and returns its result line (JSON). */
    public static String run(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("python3",
                TestPaths.repoRoot().resolve("builder-image/bundler/pymode_build.py").toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
        builder.environment().putAll(environment());
        Process process = builder.start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (process.waitFor() != 0) {
            throw new IOException("pymode_build.py " + String.join(" ", args) + " failed");
        }
        String[] lines = out.split("\\R");
        return lines[lines.length - 1];
    }

    /** What the builder needs to reach the loopback registry. */
    public static java.util.Map<String, String> environment() {
        return java.util.Map.of("PYMODE_ORAS", RepositoryLayout.ociToolsBin().resolve("oras").toString(),
                "PYMODE_REGISTRY_PLAIN_HTTP", "1");
    }
}
