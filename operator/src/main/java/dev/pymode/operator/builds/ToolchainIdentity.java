package dev.pymode.operator.builds;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * What goes into the build key for "the toolchain": for Jobs the builder image; for local builds a digest
 * of the repository's build tools (builder, worker runtime, pylib), so editing them invalidates cached bundles.
 */
public final class ToolchainIdentity {

    /** Directories (relative to the repository root) whose content makes up a local build's toolchain. */
    static final List<String> LOCAL_TOOL_DIRS = List.of("builder-image/bundler", "builder-image/extensions",
            "worker/src", "worker/scripts", "pylib/pymode");

    private ToolchainIdentity() {
    }

    public static String ofLocalTools(Path repoRoot) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (String dir : LOCAL_TOOL_DIRS) {
                Path base = repoRoot.resolve(dir);
                if (!Files.isDirectory(base)) {
                    throw new IllegalStateException("local builds need " + base + " (is pymode.repo-root right?)");
                }
                try (Stream<Path> files = Files.walk(base)) {
                    for (Path file : files.filter(Files::isRegularFile)
                            .filter(p -> !p.toString().contains("__pycache__") && !p.toString().endsWith(".pyc"))
                            .sorted().toList()) {
                        sha.update(repoRoot.relativize(file).toString().getBytes(StandardCharsets.UTF_8));
                        sha.update((byte) 0);
                        sha.update(Files.readAllBytes(file));
                    }
                }
            }
            return "local-tools@sha256:" + HexFormat.of().formatHex(sha.digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
