package dev.pymode.operator.failure;

import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The one place that decides whether a failure is the input's fault (terminal: the same inputs fail the same
 * way, so stall at once) or the world's (transient: retry with backoff), which reason names it, and which single
 * line of a long log says why. Reconcilers put that line in the condition and the whole log in an Event.
 *
 * <p>Builder logs, first matching rule wins (network rules come before "not found": pip reports an unreachable
 * index as "No matching distribution found" after its connection retries, which is not the package's fault; an
 * invalid requirement comes first of all, as pip refuses it before any network access):
 * <pre>
 * | cause                                   | matched by (a line of the log)                          | kind      | reason                  |
 * |-----------------------------------------|---------------------------------------------------------|-----------|-------------------------|
 * | invalid requirement string              | pip "ERROR: Invalid requirement: ..."                   | terminal  | InvalidRequirement      |
 * | registry unreachable during oras push/pull | a network error line, and the failing step is oras   | transient | RegistryUnavailable     |
 * | package index / download host unreachable | connection refused/reset, DNS failure, timeout, 5xx, 429 | transient | NetworkUnavailable   |
 * | package or version not found            | pip "ERROR: No matching distribution found for ..."     | terminal  | PackageNotFound         |
 * | other pip resolution error              | pip "ERROR: ..." (conflicts, no pure-Python wheel)      | terminal  | PackageResolutionFailed |
 * | invalid Python in the project           | "SyntaxError: ...", "IndentationError: ...", "TabError:" | terminal | InvalidPython           |
 * | C compile or link error                 | "file.c:12:5: error: ...", "wasm-ld: error: ..."        | terminal  | CompileError            |
 * | Rust compile error, crate too new       | rustc "error[E0425]: ...", "... requires rustc 1.88"    | terminal  | CompileError            |
 * | invalid recipe                          | "refused recipe", "recipe X not found", cycle           | terminal  | InvalidRecipe           |
 * | source archive checksum mismatch        | "... has sha256 X, pinned Y"                            | terminal  | SourceChecksumMismatch  |
 * | two extensions ship one file differently | "... both ship ..."                                    | terminal  | ExtensionConflict       |
 * | entry module missing                    | "entry module ... not found in the source"              | terminal  | EntryNotFound           |
 * | builder refused an argument             | "pymode_build.py worker: error: ...", "refused: ..."    | terminal  | InvalidBuildInput       |
 * | anything else                           |                                                         | unknown   | BuildFailed             |
 * </pre>
 * Unknown failures are retried a bounded number of times (pymode.builder.max-attempts); transient ones until
 * they pass, with capped backoff. Resource limits (OOM, deadline) and a spec value the builder refuses (its exit
 * code 3, reason InvalidInput) are known to the executors and stall without coming here.
 *
 * <p>Cloudflare API answers ({@link #ofCloudflareStatus}): 429 transient (RateLimited, after Retry-After); 408
 * and 5xx transient (CloudflareUnavailable); any other 4xx terminal (CloudflareRejected: the request is invalid,
 * or conflicts with what the account holds, e.g. 409 "a route with the same pattern already exists", and will be
 * refused again until the spec changes).
 */
public final class FailureClassifier {

    /** The reason of a failure no rule recognises (retried up to the attempt limit). */
    public static final String UNKNOWN_REASON = "BuildFailed";

    /** Longest decisive line kept: a condition message is one line, not a log. */
    static final int MAX_LINE = 400;

    public enum Kind {
        /** The inputs are at fault; retrying the same inputs cannot help. */
        TERMINAL,
        /** Something outside the inputs failed (network, registry, rate limit); retrying helps. */
        TRANSIENT,
        /** Not recognised: retried a bounded number of times. */
        UNKNOWN
    }

    /**
     * @param kind   terminal, transient or unknown
     * @param reason the condition's reason (CamelCase)
     * @param line   the decisive line, at most {@value #MAX_LINE} characters
     */
    public record Failure(Kind kind, String reason, String line) {
        public boolean terminal() {
            return kind == Kind.TERMINAL;
        }

        public boolean transientFailure() {
            return kind == Kind.TRANSIENT;
        }
    }

    private record Rule(Kind kind, String reason, Pattern line, Pattern context) {
        Rule(Kind kind, String reason, String line) {
            this(kind, reason, Pattern.compile(line), null);
        }
    }

    // pip's own ERROR lines about a requirement quote the requirement (spec text), so they never count as network
    // errors: "newconnectionerror" is a valid package name.
    private static final String NETWORK = "^(?!ERROR: (Invalid requirement|No matching distribution|Could not find a "
            + "version)).*(?i)(temporary failure in name resolution|name or service not known"
            + "|no such host|connection refused|connection reset|failed to establish a new connection"
            + "|newconnectionerror|remotedisconnected|timed out|i/o timeout|tls handshake timeout|urlopen error"
            + "|service unavailable|bad gateway|gateway time-?out|too many requests"
            + "|(http|status|response)( code| error)?:? ?(429|50[0234])\\b)";

    private static final List<Rule> BUILD_RULES = List.of(
            // The builder's own refusal (exit 3, BuildObservation.invalidInput), the same reason when only the log is
            // left. First: the line quotes spec text, which could read like a network error.
            new Rule(Kind.TERMINAL, "InvalidInput", "^invalid input: "),
            // refused before pip touches the network: never transient
            new Rule(Kind.TERMINAL, "InvalidRequirement", "^ERROR: Invalid requirement"),
            new Rule(Kind.TRANSIENT, "RegistryUnavailable", Pattern.compile(NETWORK),
                    Pattern.compile("(?m)^build failed: oras (push|pull)")),
            new Rule(Kind.TRANSIENT, "NetworkUnavailable", NETWORK),
            new Rule(Kind.TERMINAL, "PackageNotFound", "^ERROR: No matching distribution found for "),
            new Rule(Kind.TERMINAL, "PackageNotFound", "^ERROR: Could not find a version that satisfies "),
            new Rule(Kind.TERMINAL, "InvalidPython", "^(.*: )?(SyntaxError|IndentationError|TabError): "),
            new Rule(Kind.TERMINAL, "CompileError", "^\\S+:\\d+(:\\d+)?: (fatal )?error: |^wasm-ld: error: "
                    // rustc (rust recipes); a crate whose rust-version is newer than the builder's rustc
                    + "|^error\\[E\\d{4}\\]: |^error: .* requires rustc [0-9.]+ or newer"),
            new Rule(Kind.TERMINAL, "InvalidRecipe", "refused recipe |^build failed: recipe .* not found"
                    + "|recipe dependency cycle|not (valid|readable) JSON"),
            new Rule(Kind.TERMINAL, "SourceChecksumMismatch", "\\.sha256: .* has sha256 [0-9a-f]+, pinned "),
            new Rule(Kind.TERMINAL, "ExtensionConflict", " both ship "),
            new Rule(Kind.TERMINAL, "EntryNotFound", "entry module .* not found in the source"),
            new Rule(Kind.TERMINAL, "InvalidBuildInput", "^pymode_build\\.py( \\w+)?: error: |^build failed: refused"),
            new Rule(Kind.TERMINAL, "PackageResolutionFailed", "^ERROR: (?!Could not install packages due to an OSError)"));

    private static final Pattern BUILDER_PREFIX = Pattern.compile("^(build failed: )?(build_(rust_)?extension: \\S+\\.json: )?");
    private static final Pattern ANY_ERROR = Pattern.compile("(?i)\\berror\\b|^build failed: ");

    private FailureClassifier() {
    }

    /** Classifies a failed build by its log (or the tail of it, or the builder's termination message). */
    public static Failure ofBuildLog(String log) {
        // The builder echoes each command it runs ("[pymode-build] $ pip download <requirements>"): spec text, not
        // an outcome, so it must not match a rule (a requirement could read "connection refused").
        List<String> lines = (log == null ? "" : log).lines().map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("[pymode-build] $ ")).toList();
        for (Rule rule : BUILD_RULES) {
            if (rule.context() != null && !rule.context().matcher(log).find()) {
                continue;
            }
            Optional<String> line = last(lines, rule.line());
            if (line.isPresent()) {
                return new Failure(rule.kind(), rule.reason(), cap(line.get()));
            }
        }
        String line = last(lines, ANY_ERROR).orElse(lines.isEmpty() ? "the build failed without output"
                : lines.get(lines.size() - 1));
        return new Failure(Kind.UNKNOWN, UNKNOWN_REASON, cap(line));
    }

    /** Classifies a Cloudflare API answer by its HTTP status; {@code message} names the call and error codes. */
    public static Failure ofCloudflareStatus(int status, String message) {
        String line = cap(message == null ? "HTTP " + status : message.lines().findFirst().orElse(""));
        if (status == 429) {
            return new Failure(Kind.TRANSIENT, "RateLimited", line);
        }
        if (status >= 400 && status < 500 && status != 408) {
            return new Failure(Kind.TERMINAL, "CloudflareRejected", line);
        }
        return new Failure(Kind.TRANSIENT, "CloudflareUnavailable", line);
    }

    /** The last matching line: pip, compilers and Python print the decisive error last. */
    private static Optional<String> last(List<String> lines, Pattern pattern) {
        for (int i = lines.size() - 1; i >= 0; i--) {
            if (pattern.matcher(lines.get(i)).find()) {
                return Optional.of(lines.get(i));
            }
        }
        return Optional.empty();
    }

    static String cap(String text) {
        // the builders' prefixes ("build failed: ", "build_extension: /tmp/…/recipe.json: ") say nothing the reason
        // does not, and would push the cause itself past the cap
        String line = BUILDER_PREFIX.matcher(text).replaceFirst("");
        return line.length() <= MAX_LINE ? line : line.substring(0, MAX_LINE - 1) + "…";
    }
}
