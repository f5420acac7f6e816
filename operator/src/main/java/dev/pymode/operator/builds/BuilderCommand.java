package dev.pymode.operator.builds;

import java.util.ArrayList;
import java.util.List;

/**
 * The builder's command line (builder-image/bundler/pymode_build.py), the same for a Job and a local process;
 * only the interpreter path, the program path and the source directory differ between them.
 *
 * <p>Values from a resource's spec go in as {@code --option=VALUE}, one argv element each: the builder's parser
 * then takes the whole element as the value, even one starting with '-', so no spec value becomes an option.
 */
public final class BuilderCommand {

    /**
     * The builder's exit code when it refuses a spec value (pymode_build.py EXIT_INVALID_INPUT): the same input
     * fails every time, so it is an input error rather than a build to retry.
     */
    public static final int EXIT_INVALID_INPUT = 3;

    /**
     * The builder's exit code when the packages need distributions that only catalogue recipes build (pymode_build.py
     * EXIT_NEEDS_RECIPES); its last line names them ({@link RecipeRequest}).
     */
    public static final int EXIT_NEEDS_RECIPES = 4;

    /**
     * The builder's environment for the operator's package index (pymode_build.py pip_environment): the URL, and the
     * credentials, which reach pip through its environment only.
     */
    public static final String ENV_PACKAGE_INDEX_URL = "PYMODE_PACKAGE_INDEX_URL";
    public static final String ENV_PACKAGE_INDEX_USERNAME = "PYMODE_PACKAGE_INDEX_USERNAME";
    public static final String ENV_PACKAGE_INDEX_PASSWORD = "PYMODE_PACKAGE_INDEX_PASSWORD";

    private BuilderCommand() {
    }

    /**
     * Arguments after {@code worker --source <dir>}; the worker's extensions by artifact reference, in name order, then
     * the catalogue recipes the operator attached, in recipe order.
     */
    public static List<String> workerArguments(BuildKey key, List<String> extensionReferences,
                                               List<String> catalogueReferences, String bundleReference,
                                               String sourceRevision) {
        List<String> args = new ArrayList<>(List.of("--entry=" + key.entry(), "--runtime-ref", key.runtimeRef()));
        for (String extension : extensionReferences) {
            args.add("--extension");
            args.add(extension);
        }
        for (String extension : catalogueReferences) {
            args.add("--catalogue-extension");
            args.add(extension);
        }
        for (String requirement : key.packages()) {
            args.add("--package=" + requirement);
        }
        String snapshot = key.wizer().builderArgument();
        if (snapshot != null) {
            args.add(snapshot);
        }
        args.addAll(List.of("--push", bundleReference,
                "--annotation", "dev.pymode.build-key=" + key.hash(),
                "--annotation", "dev.pymode.source-digest=" + key.sourceDigest(),
                "--annotation", "dev.pymode.source-revision=" + sourceRevision,
                "--annotation", "dev.pymode.runtime=" + key.runtimeRef(),
                "--annotation", "dev.pymode.toolchain=" + key.toolchain()));
        return args;
    }

    /** Arguments after {@code extension --source <dir>}: the recipe (with its depends in the directory). */
    public static List<String> extensionArguments(ExtensionBuildKey key, String extensionReference) {
        return List.of("--recipe=" + key.recipe(), "--runtime-ref", key.runtimeRef(),
                "--push", extensionReference,
                "--annotation", "dev.pymode.build-key=" + key.hash(),
                "--annotation", "dev.pymode.recipes-digest=" + key.recipesDigest(),
                "--annotation", "dev.pymode.runtime=" + key.runtimeRef(),
                "--annotation", "dev.pymode.toolchain=" + key.toolchain());
    }

    /** The full argv for a given interpreter, program, subcommand and source directory. */
    public static List<String> argv(String python, String program, String subcommand, String sourceDir,
                                    List<String> arguments) {
        List<String> argv = new ArrayList<>(List.of(python, program, subcommand, "--source", sourceDir));
        argv.addAll(arguments);
        return argv;
    }
}
