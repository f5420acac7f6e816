package dev.pymode.operator.builds;

/**
 * What an executor knows about a build.
 *
 * @param phase   where the build stands
 * @param detail  for a failure, the tail of the builder's log (the pip or compiler error); else a short note
 * @param failure for a failure, its kind and how the {@code Built} condition names it; else null
 */
public record BuildObservation(Phase phase, String detail, Failure failure) {

    public enum Phase { ABSENT, RUNNING, SUCCEEDED, FAILED }

    /** Why a build failed, which decides whether another attempt with the same inputs can help. */
    public enum FailureKind {
        /**
         * The builder itself failed (pip, a compiler, the push): {@link dev.pymode.operator.failure.FailureClassifier}
         * reads the log and decides whether the inputs are at fault (stall), the world is (retry), or neither is
         * known (retry up to the attempt limit).
         */
        BUILD_ERROR,
        /**
         * The build hit a limit the operator set on it (memory, deadline): the same inputs hit it again, so it is
         * not retried; raising the limit or changing the inputs is what helps.
         */
        RESOURCE_LIMIT,
        /**
         * The builder refused a value of the spec (exit {@link BuilderCommand#EXIT_INVALID_INPUT}): the same input is
         * refused again, so it is not retried; changing the spec is what helps.
         */
        INVALID_INPUT,
        /**
         * The packages need distributions that catalogue recipes build (exit {@link BuilderCommand#EXIT_NEEDS_RECIPES}):
         * the same inputs ask again, so it is not retried; the owner decides (the worker attaches the recipes).
         */
        NEEDS_RECIPES
    }

    /**
     * @param kind    retried or not
     * @param reason  the {@code Built} condition's reason
     * @param summary one line for the condition, naming the limit and the chart value that sets it, or the input the
     *                builder refused; empty for a build error, whose decisive line the classifier finds in the detail
     */
    public record Failure(FailureKind kind, String reason, String summary, RecipeRequest recipes) {
        public Failure(FailureKind kind, String reason, String summary) {
            this(kind, reason, summary, null);
        }
    }

    public static BuildObservation absent() {
        return new BuildObservation(Phase.ABSENT, "", null);
    }

    public static BuildObservation running(String detail) {
        return new BuildObservation(Phase.RUNNING, detail, null);
    }

    public static BuildObservation succeeded() {
        return new BuildObservation(Phase.SUCCEEDED, "", null);
    }

    public static BuildObservation failed(String logTail) {
        return new BuildObservation(Phase.FAILED, logTail, new Failure(FailureKind.BUILD_ERROR, "BuildFailed", ""));
    }

    /** The builder refused a spec value; its last line names the value and the rule (pymode_build.py InvalidInput). */
    public static BuildObservation invalidInput(String logTail) {
        String[] lines = logTail.strip().split("\n");
        return new BuildObservation(Phase.FAILED, logTail, new Failure(FailureKind.INVALID_INPUT, "InvalidInput",
                lines[lines.length - 1]));
    }

    /**
     * The builder asked for catalogue recipes (its last line, {@link RecipeRequest}); a request that cannot be read is
     * an input error with the builder's output, never a silent retry.
     */
    public static BuildObservation needsRecipes(String logTail) {
        return RecipeRequest.parse(logTail)
                .map(request -> new BuildObservation(Phase.FAILED, logTail, new Failure(FailureKind.NEEDS_RECIPES,
                        RecipeRequest.REASON, request.message(), request)))
                .orElseGet(() -> invalidInput(logTail));
    }

    /** The build ran out of memory: a limit of the builder's container. */
    public static BuildObservation outOfMemory(String limit, String logTail) {
        return new BuildObservation(Phase.FAILED, logTail, new Failure(FailureKind.RESOURCE_LIMIT, "BuildOutOfMemory",
                "the builder ran out of memory: limit " + limit + " (chart value builder.resources.limits.memory)"));
    }

    /** The build ran past its deadline. */
    public static BuildObservation deadlineExceeded(String deadline, String logTail) {
        return new BuildObservation(Phase.FAILED, logTail, new Failure(FailureKind.RESOURCE_LIMIT,
                "BuildDeadlineExceeded", "the build ran past its deadline of " + deadline
                + " (chart value builder.activeDeadline)"));
    }
}
