package dev.pymode.operator.apiserver;

import java.util.stream.Stream;

import org.junit.jupiter.params.provider.Arguments;

/** Resources for the validation tests: each invalid case breaks exactly one rule of an otherwise valid resource. */
final class Cases {

    private static final String INLINE_SOURCE = """
            source:
              inline:
                files:
                  - path: src/entry.py
                    content: "def on_fetch(request, env): pass"
            """;

    private Cases() {
    }

    static String resource(String kind, String name, String spec) {
        return "apiVersion: pymode.dev/v1alpha1\nkind: " + kind + "\nmetadata:\n  name: " + name + "\nspec:\n"
                + spec.indent(2);
    }

    static String worker(String name, String spec) {
        return resource("PyModeWorker", name, spec);
    }

    /** A valid worker with one extra spec block appended. */
    private static String workerWith(String name, String extraSpec) {
        return worker(name, INLINE_SOURCE + extraSpec);
    }

    private static Arguments refused(String description, String yaml, String message) {
        return Arguments.of(description, yaml, message);
    }

    static Stream<Arguments> invalid() {
        String exactlyOneSource = "source must set exactly one of inline, configMapRef, git or oci";
        String pythonIdentifier = "binding names must be valid Python identifiers";
        String relativePath = "inline file paths must be relative, use '/' as separator and not contain '..'";
        return Stream.of(
                refused("two source kinds", worker("two-sources", INLINE_SOURCE + "  configMapRef: {name: src}\n"),
                        exactlyOneSource),
                refused("no source kind", worker("no-source", "source: {}\n"), exactlyOneSource),
                refused("secret ref without key", workerWith("secret-no-key", """
                        bindings:
                          secrets: [{name: API_KEY, secretKeyRef: {name: creds}}]
                        """), "a secret reference needs both name and key"),
                refused("API token ref without name", workerWith("token-no-name", """
                        cloudflare:
                          apiTokenSecretRef: {key: token}
                        """), "a secret reference needs both name and key"),
                refused("script name with uppercase", workerWith("bad-script", """
                        cloudflare: {scriptName: My_Script}
                        """), "scriptName must be 1-63 lowercase letters, digits or '-'"),
                refused("script name too long", workerWith("long-script", "cloudflare: {scriptName: "
                        + "a".repeat(64) + "}\n"), "spec.cloudflare.scriptName: Too long"),
                refused("resource name with dots used as script name", workerWith("my.worker", ""),
                        "metadata.name is used as the Cloudflare script name"),
                refused("binding name with a dash", workerWith("dash-binding", """
                        bindings:
                          kv: [{name: my-kv, namespace: data}]
                        """), pythonIdentifier),
                refused("binding name is a keyword", workerWith("keyword-binding", """
                        bindings:
                          d1: [{name: class, database: main}]
                        """), pythonIdentifier),
                refused("binding name starting with a digit", workerWith("digit-binding", """
                        bindings:
                          r2: [{name: 1FILES, bucket: files}]
                        """), pythonIdentifier),
                refused("duplicate binding names across kinds", workerWith("dup-binding", """
                        bindings:
                          kv: [{name: STORE, namespace: data}]
                          r2: [{name: STORE, bucket: files}]
                        """), "binding names must be unique across kv, r2, d1, queues, services, secrets and vars"),
                refused("var clashing with a secret", workerWith("dup-var", """
                        bindings:
                          vars: {TOKEN: x}
                          secrets: [{name: TOKEN, secretKeyRef: {name: creds, key: token}}]
                        """), "binding names must be unique across kv, r2, d1, queues, services, secrets and vars"),
                refused("duplicate binding names within a kind", workerWith("dup-kv", """
                        bindings:
                          kv: [{name: A, namespace: one}, {name: A, namespace: two}]
                        """), "binding names must be unique across kv, r2, d1, queues, services, secrets and vars"),
                refused("a queue and a service with one name", workerWith("dup-queue-service", """
                        bindings:
                          queues: [{name: OTHER, queue: jobs}]
                          services: [{name: OTHER, service: other-worker}]
                        """), "binding names must be unique across kv, r2, d1, queues, services, secrets and vars"),
                refused("a var named like the runtime's assets binding", workerWith("reserved-assets", """
                        bindings:
                          vars: {PYMODE_ASSETS: x}
                        """), "are reserved for the runtime"),
                refused("a KV binding named like the runtime's Durable Object", workerWith("reserved-do", """
                        bindings:
                          kv: [{name: PYTHON_DO, namespace: data}]
                        """), "are reserved for the runtime"),
                refused("queue name with uppercase", workerWith("bad-queue", """
                        bindings:
                          queues: [{name: JOBS, queue: Jobs}]
                        """), "queue names are 1-63 lowercase letters, digits or '-'"),
                refused("service that is not a script name", workerWith("bad-service", """
                        bindings:
                          services: [{name: AUTH, service: Auth_Worker}]
                        """), "service must be a Worker script name"),
                refused("a queue consumed twice", workerWith("twice-consumed", """
                        queueConsumers: [{queue: jobs}, {queue: jobs, batchSize: 5}]
                        """), "each queue may be consumed once per worker"),
                refused("a queue as its own dead-letter queue", workerWith("self-dlq", """
                        queueConsumers: [{queue: jobs, deadLetterQueue: jobs}]
                        """), "deadLetterQueue must be another queue than the one consumed"),
                refused("batch size over 100", workerWith("big-batch", """
                        queueConsumers: [{queue: jobs, batchSize: 101}]
                        """), "spec.queueConsumers[0].batchSize: Invalid value"),
                refused("var name not an identifier", workerWith("bad-var", """
                        bindings:
                          vars: {"MY-VAR": x}
                        """), "var names must be valid Python identifiers and not keywords"),
                refused("R2 bucket name with uppercase", workerWith("bad-bucket", """
                        bindings:
                          r2: [{name: FILES, bucket: MyFiles}]
                        """), "R2 bucket names are 3-63 lowercase letters"),
                refused("absolute inline path", worker("abs-path", """
                        source:
                          inline:
                            files: [{path: /etc/entry.py, content: x}]
                        """), relativePath),
                refused("inline path escaping the project", worker("dotdot-path", """
                        source:
                          inline:
                            files: [{path: src/../../entry.py, content: x}]
                        """), relativePath),
                refused("duplicate inline paths", worker("dup-path", """
                        source:
                          inline:
                            files: [{path: a.py, content: x}, {path: a.py, content: y}]
                        """), "inline file paths must be unique"),
                refused("inline sources over the total limit", worker("too-big", """
                        source:
                          inline:
                            files:
                              - {path: a.py, content: "%s"}
                              - {path: b.py, content: "%s"}
                        """.formatted("a".repeat(300_000), "b".repeat(300_000))),
                        "inline files may hold at most 524288 characters in total"),
                refused("entry outside the project", workerWith("bad-entry", "entry: ../entry.py\n"),
                        "entry must be a relative path to a .py file without '..'"),
                refused("rollout percentage zero", workerWith("bad-rollout", """
                        cloudflare: {rollout: {percentage: 0}}
                        """), "spec.cloudflare.rollout.percentage: Invalid value: 0"),
                refused("account id not hex", workerWith("bad-account", """
                        cloudflare: {accountId: not-an-account}
                        """), "accountId must be 32 lowercase hex characters"),
                refused("compatibility date not a date", workerWith("bad-date", """
                        cloudflare: {compatibilityDate: yesterday}
                        """), "compatibilityDate must be a real calendar date in the form YYYY-MM-DD"),
                refused("git url with ftp scheme", worker("bad-git", """
                        source:
                          git: {url: "ftp://example.com/repo.git"}
                        """), "git url must start with https://, http:// or ssh://"),
                refused("git url with a password", worker("git-password", """
                        source:
                          git: {url: "https://ada:ghp_secret@github.com/org/repo.git"}
                        """), "git url must not contain a password: put credentials in credentialsSecretRef"),
                refused("git ref with a space", worker("git-ref-space", """
                        source:
                          git: {url: "https://github.com/org/repo.git", ref: "my branch"}
                        """), "git ref must be a branch, tag, refs/... name or commit SHA"),
                refused("git ref with ..", worker("git-ref-dots", """
                        source:
                          git: {url: "https://github.com/org/repo.git", ref: "main..dev"}
                        """), "git ref must be a branch, tag, refs/... name or commit SHA"),
                refused("git interval not a duration", worker("git-interval", """
                        source:
                          git: {url: "https://github.com/org/repo.git", interval: "5 minutes"}
                        """), "spec.source.git.interval: Invalid value"),
                refused("oci interval in ISO-8601", worker("oci-interval", """
                        source:
                          oci: {ref: "ghcr.io/org/app:v1", interval: PT5M}
                        """), "spec.source.oci.interval: Invalid value"),
                refused("oci pull secret without name", worker("oci-pull", """
                        source:
                          oci: {ref: "ghcr.io/org/app:v1", pullSecretRef: {}}
                        """), "spec.source.oci.pullSecretRef.name: Required value"),
                refused("oci ref without tag or digest", worker("bad-oci", """
                        source:
                          oci: {ref: "registry.example.com/project"}
                        """), "oci ref must look like registry/repository:tag"),
                refused("extension with recipe and inline", resource("PyModeExtension", "both", """
                        recipe: markupsafe
                        inline: {name: m, version: "1", source: {pypi: m, filename: m-1.tar.gz, sha256: %s},
                                 modules: {m: {init: PyInit_m, sources: [m.c]}}}
                        """.formatted("0".repeat(64))), "set exactly one of recipe"),
                refused("extension with neither recipe nor inline", resource("PyModeExtension", "neither",
                        "pythonVersion: \"3.13\"\n"), "set exactly one of recipe"),
                refused("extension module with the wrong init symbol", resource("PyModeExtension", "bad-init", """
                        inline: {name: m, version: "1", source: {pypi: m, filename: m-1.tar.gz, sha256: %s},
                                 modules: {pkg.m: {init: PyInit_pkg, sources: [m.c]}}}
                        """.formatted("0".repeat(64))), "each module's init must be PyInit_<last part of the module name>"),
                refused("extension recipe with both pypi and url", resource("PyModeExtension", "two-sources", """
                        inline: {name: m, version: "1", source: {pypi: m, url: "https://example.com/m-1.tar.gz",
                                 filename: m-1.tar.gz, sha256: %s}, modules: {m: {init: PyInit_m, sources: [m.c]}}}
                        """.formatted("0".repeat(64))), "recipe source needs exactly one of pypi or url"),
                refused("extension recipe that builds nothing", resource("PyModeExtension", "empty", """
                        inline: {name: m, version: "1", source: {pypi: m, filename: m-1.tar.gz, sha256: %s}}
                        """.formatted("0".repeat(64))), "a recipe needs modules or packages"),
                refused("extension recipe patch outside the catalogue", resource("PyModeExtension", "bad-patch", """
                        inline: {name: m, version: "1", source: {pypi: m, filename: m-1.tar.gz, sha256: %s},
                                 patches: [../etc/passwd], modules: {m: {init: PyInit_m, sources: [m.c]}}}
                        """.formatted("0".repeat(64))), "patches must be catalogue paths under patches/"),
                refused("extension for another Python", resource("PyModeExtension", "py312", """
                        recipe: markupsafe
                        pythonVersion: "3.12"
                        """), "pythonVersion must be 3.13"),
                refused("worker cron that is not cron", workerWith("bad-worker-cron", """
                        crons: ["0 * * * *", "every day"]
                        """), "cron \"every day\": a cron must be 5 fields"),
                refused("worker cron with Cloudflare's L-nW, which PyMode does not evaluate", workerWith(
                        "quartz-worker-cron", """
                        crons: ["0 9 L-3W * *"]
                        """), "cron \"0 9 L-3W * *\": a cron must be 5 fields"),
                refused("worker cron with UNIX cron's Sunday 0", workerWith("sunday-zero-worker-cron", """
                        crons: ["0 9 * * 1", "0 9 * * 0"]
                        """), "cron: day-of-week 0 is not valid at Cloudflare: days are 1-7 from Sunday (1 = SUN"),
                refused("worker cron with a backwards range", workerWith("backwards-worker-cron", """
                        crons: ["0 17-9 * * *"]
                        """), "cron \"0 17-9 * * *\": ranges must run forwards"),
                refused("workflow with a malformed schedule", resource("PyModeWorkflow", "bad-cron", """
                        workerRef: {name: w}
                        workflow: orders
                        schedule: every day
                        """), "schedule must be 5 cron fields"),
                refused("workflow without a worker", resource("PyModeWorkflow", "no-worker", """
                        workflow: orders
                        """), "spec.workerRef: Required value"));
    }
}
