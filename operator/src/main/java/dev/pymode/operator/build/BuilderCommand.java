package dev.pymode.operator.build;

import java.util.ArrayList;
import java.util.List;

/**
 * The builder's command line (builder-image/bundler/pymode_build.py), the same for a Job and a local process;
 * only the interpreter path, the program path and the source directory differ between them.
 */
public final class BuilderCommand {

    private BuilderCommand() {
    }

    /** Arguments after {@code worker --source <dir>}. */
    public static List<String> workerArguments(BuildKey key, String bundleReference, String sourceRevision) {
        List<String> args = new ArrayList<>(List.of("--entry", key.entry(), "--runtime-ref", key.runtimeRef()));
        for (String requirement : key.packages()) {
            args.add("--package");
            args.add(requirement);
        }
        if (key.wizer()) {
            args.add("--wizer");
        }
        if (key.compatibilityDate() != null && !key.compatibilityDate().isEmpty()) {
            args.add("--compat-date");
            args.add(key.compatibilityDate());
        }
        args.addAll(List.of("--push", bundleReference,
                "--annotation", "dev.pymode.build-key=" + key.hash(),
                "--annotation", "dev.pymode.source-digest=" + key.sourceDigest(),
                "--annotation", "dev.pymode.source-revision=" + sourceRevision,
                "--annotation", "dev.pymode.runtime=" + key.runtimeRef(),
                "--annotation", "dev.pymode.toolchain=" + key.toolchain()));
        return args;
    }

    /** The full argv for a given interpreter, program and source directory. */
    public static List<String> argv(String python, String program, String sourceDir, List<String> arguments) {
        List<String> argv = new ArrayList<>(List.of(python, program, "worker", "--source", sourceDir));
        argv.addAll(arguments);
        return argv;
    }
}
