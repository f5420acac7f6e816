package dev.pymode.operator.failure;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import dev.pymode.operator.failure.FailureClassifier.Failure;
import dev.pymode.operator.failure.FailureClassifier.Kind;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The classifier's table, on logs as the builder writes them (pip's, Python's, the compiler's own lines). */
@Tag("unit")
class FailureClassifierTest {

    private static final String PIP_STEP = "[pymode-build] $ /usr/bin/python3 -m pip download --disable-pip-version-check"
            + " --no-input -d /tmp/w/wheels --only-binary=:all: --platform any %s\n";

    private static String pipFailure(String requirement, String output) {
        return PIP_STEP.formatted(requirement) + output
                + "build failed: pip download (pure-Python wheels for wasm32) failed (exit 1):\n" + output
                + "Only pure-Python wheels can run in python.wasm; C extensions are built as PyModeExtension side modules.\n";
    }

    @Test
    void aPackageThatDoesNotExistIsTerminalAndNamedByPipsLastErrorLine() {
        Failure failure = FailureClassifier.ofBuildLog(pipFailure("nosuch==0.0.1", """
                Looking in links: /opt/wheels
                ERROR: Could not find a version that satisfies the requirement nosuch==0.0.1 (from versions: none)
                ERROR: No matching distribution found for nosuch==0.0.1
                """));
        assertThat(failure).isEqualTo(new Failure(Kind.TERMINAL, "PackageNotFound",
                "ERROR: No matching distribution found for nosuch==0.0.1"));
    }

    @Test
    void anInvalidRequirementIsTerminal() {
        Failure failure = FailureClassifier.ofBuildLog(pipFailure("'foo bar'", "ERROR: Invalid requirement: 'foo bar'\n"));
        assertThat(failure.kind()).isEqualTo(Kind.TERMINAL);
        assertThat(failure.reason()).isEqualTo("InvalidRequirement");
        assertThat(failure.line()).isEqualTo("ERROR: Invalid requirement: 'foo bar'");
    }

    @Test
    void anUnreachableIndexIsTransientEvenThoughPipThenSaysNoMatchingDistribution() {
        Failure failure = FailureClassifier.ofBuildLog(pipFailure("requests", """
                WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) after connection broken by 'NewConnectionError('<pip._vendor.urllib3.connection.HTTPSConnection object at 0x7f2>: Failed to establish a new connection: [Errno 111] Connection refused')': /simple/requests/
                ERROR: Could not find a version that satisfies the requirement requests (from versions: none)
                ERROR: No matching distribution found for requests
                """));
        assertThat(failure.kind()).isEqualTo(Kind.TRANSIENT);
        assertThat(failure.reason()).isEqualTo("NetworkUnavailable");
        assertThat(failure.line()).contains("Connection refused");
    }

    @Test
    void theEchoedCommandLineIsSpecTextAndNeverMatchesARule() {
        // a requirement reading like a network error must not make a missing package look transient
        Failure failure = FailureClassifier.ofBuildLog(pipFailure("'x; connection refused'",
                "ERROR: Invalid requirement: 'x; connection refused'\n"));
        assertThat(failure.reason()).isEqualTo("InvalidRequirement");
        assertThat(FailureClassifier.ofBuildLog(pipFailure("newconnectionerror",
                "ERROR: No matching distribution found for newconnectionerror\n")).reason()).isEqualTo("PackageNotFound");
    }

    @Test
    void aRegistryOutageDuringThePushIsTransient() {
        Failure failure = FailureClassifier.ofBuildLog("""
                [pymode-build] $ oras push --plain-http 127.0.0.1:5000/pymode/bundles:abc
                Error: failed to push: Head "http://127.0.0.1:5000/v2/pymode/bundles/blobs/sha256:1": dial tcp 127.0.0.1:5000: connect: connection refused
                build failed: oras push failed (exit 1):
                Error: failed to push: Head "http://127.0.0.1:5000/v2/pymode/bundles/blobs/sha256:1": dial tcp 127.0.0.1:5000: connect: connection refused
                """);
        assertThat(failure.kind()).isEqualTo(Kind.TRANSIENT);
        assertThat(failure.reason()).isEqualTo("RegistryUnavailable");
    }

    @Test
    void invalidPythonIsTerminalWithTheSyntaxErrorLine() {
        Failure failure = FailureClassifier.ofBuildLog("""
                [pymode-build] checking the project's Python
                build failed: SyntaxError: '(' was never closed (src/entry.py, line 3)
                """);
        assertThat(failure).isEqualTo(new Failure(Kind.TERMINAL, "InvalidPython",
                "SyntaxError: '(' was never closed (src/entry.py, line 3)"));
    }

    @Test
    void aCompileErrorIsTerminalWithTheCompilersLine() {
        Failure failure = FailureClassifier.ofBuildLog("""
                [build_extension] zig cc -c src/_speedups.c
                src/_speedups.c:12:5: error: use of undeclared identifier 'PyFoo'
                    PyFoo(x);
                    ^
                1 error generated.
                build_extension: recipes/speedups.json: command failed (1): zig cc ...
                build failed: build of recipe speedups 1.0 failed (exit 1):
                """);
        assertThat(failure.kind()).isEqualTo(Kind.TERMINAL);
        assertThat(failure.reason()).isEqualTo("CompileError");
        assertThat(failure.line()).isEqualTo("src/_speedups.c:12:5: error: use of undeclared identifier 'PyFoo'");
    }

    @Test
    void aRustCompileErrorIsTerminalWithRustcsLine() {
        Failure failure = FailureClassifier.ofBuildLog("""
                   Compiling pyo3 v0.23.5
                error[E0425]: cannot find value `y` in this scope
                 --> src/lib.rs:7:5
                error: could not compile `pymode-testext-rust` (lib) due to 1 previous error
                build_rust_extension: recipes/x.json: cargo build failed (101): cargo rustc --release ...
                """);
        assertThat(failure).isEqualTo(new Failure(Kind.TERMINAL, "CompileError",
                "error[E0425]: cannot find value `y` in this scope"));
        assertThat(FailureClassifier.ofBuildLog("error: package `pydantic-core v2.50.2` cannot be built because it "
                + "requires rustc 1.88 or newer, while the currently active rustc version is 1.85.1").reason())
                .isEqualTo("CompileError");
        assertThat(FailureClassifier.ofBuildLog("build_rust_extension: refused recipe x.json: rust.feature: unknown field")
                .reason()).isEqualTo("InvalidRecipe");
    }

    @Test
    void recipeChecksumAndArgumentProblemsAreTerminal() {
        assertThat(FailureClassifier.ofBuildLog("build_extension: /tmp/b/source/x.json: source.sha256: a.tar.gz from "
                + "https://h/a has sha256 ab12, pinned 0000")).isEqualTo(new Failure(Kind.TERMINAL,
                "SourceChecksumMismatch", "source.sha256: a.tar.gz from https://h/a has sha256 ab12, pinned 0000"));
        assertThat(FailureClassifier.ofBuildLog("build_extension: refused recipe x.json: name: required field missing")
                .reason()).isEqualTo("InvalidRecipe");
        assertThat(FailureClassifier.ofBuildLog("usage: pymode_build.py worker [-h] --source SOURCE\n"
                + "pymode_build.py worker: error: argument --package: expected one argument").reason())
                .isEqualTo("InvalidBuildInput");
        assertThat(FailureClassifier.ofBuildLog("build failed: entry module src/app.py not found in the source")
                .reason()).isEqualTo("EntryNotFound");
        // The refusal quotes the spec's text; it stays InvalidInput even when that text reads like a network error.
        String refusal = "invalid input: package 'pkg; os_name == \"connection refused\" (' is not a PEP 508 requirement";
        assertThat(FailureClassifier.ofBuildLog("[pymode-build] resolving packages\n" + refusal))
                .isEqualTo(new Failure(Kind.TERMINAL, "InvalidInput", refusal));
    }

    @Test
    void anythingElseIsUnknownWithItsLastErrorLine() {
        Failure failure = FailureClassifier.ofBuildLog("step one\nsomething odd happened: Error 7 in the bundler\nbye\n");
        assertThat(failure).isEqualTo(new Failure(Kind.UNKNOWN, "BuildFailed",
                "something odd happened: Error 7 in the bundler"));
        assertThat(FailureClassifier.ofBuildLog("").line()).isEqualTo("the build failed without output");
    }

    @Test
    void theDecisiveLineIsCapped() {
        Failure failure = FailureClassifier.ofBuildLog("ERROR: Invalid requirement: '" + "x".repeat(5000) + "'");
        assertThat(failure.line()).hasSizeLessThanOrEqualTo(FailureClassifier.MAX_LINE);
    }

    @Test
    void cloudflareAnswers() {
        assertThat(FailureClassifier.ofCloudflareStatus(400, "PUT …/schedules: HTTP 400: 10013 invalid cron trigger"))
                .isEqualTo(new Failure(Kind.TERMINAL, "CloudflareRejected",
                        "PUT …/schedules: HTTP 400: 10013 invalid cron trigger"));
        assertThat(FailureClassifier.ofCloudflareStatus(404, "x").kind()).isEqualTo(Kind.TERMINAL);
        assertThat(FailureClassifier.ofCloudflareStatus(429, "x").reason()).isEqualTo("RateLimited");
        assertThat(FailureClassifier.ofCloudflareStatus(409, "POST …/workers/routes: HTTP 409: 10020 A route with "
                + "the same pattern already exists").kind()).isEqualTo(Kind.TERMINAL);
        assertThat(FailureClassifier.ofCloudflareStatus(408, "x").kind()).isEqualTo(Kind.TRANSIENT);
        assertThat(FailureClassifier.ofCloudflareStatus(500, "x").reason()).isEqualTo("CloudflareUnavailable");
        assertThat(FailureClassifier.ofCloudflareStatus(503, "x").kind()).isEqualTo(Kind.TRANSIENT);
    }

    @Test
    void backoffDoublesIsCappedAndJitteredPerResourceButStableForOne() {
        Duration first = Backoff.after(Duration.ofSeconds(10), 1, "a");
        assertThat(first).isBetween(Duration.ofSeconds(10), Duration.ofMillis(12_500));
        assertThat(Backoff.after(Duration.ofSeconds(10), 3, "a")).isBetween(Duration.ofSeconds(40), Duration.ofSeconds(50));
        assertThat(Backoff.after(Duration.ofSeconds(10), 30, "a")).isBetween(Backoff.CAP,
                Backoff.CAP.plus(Backoff.CAP.dividedBy(4)));
        assertThat(Backoff.after(Duration.ofSeconds(10), 1, "a")).as("stable for one seed").isEqualTo(first);
        assertThat(java.util.stream.IntStream.range(0, 20).mapToObj(i -> Backoff.after(Duration.ofSeconds(10), 1, "w" + i))
                .distinct().count()).as("spread over resources").isGreaterThan(10);
        assertThat(Backoff.whileFailingFor(Duration.ofSeconds(15), Duration.ofSeconds(100), "s"))
                .isBetween(Duration.ofSeconds(100), Duration.ofSeconds(125));
    }
}
