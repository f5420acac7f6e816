package dev.pymode.operator.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import dev.pymode.devenv.GitRepo;
import dev.pymode.devenv.GitServer;
import dev.pymode.operator.source.ProjectSource;
import dev.pymode.operator.source.git.GitCredentials;
import dev.pymode.operator.source.git.GitSourceFetcher;
import dev.pymode.testkit.ManualClock;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Benchmark (not a test: it prints figures and asserts nothing about time). Run with `make bench-sources`.
 * Git sources against a real git server on loopback (git http-backend), side by side in one run: a shallow
 * `git clone` with the git CLI (the baseline), the operator's first resolve of a commit (ls-remote + shallow
 * fetch + read), a re-check of an unchanged commit (ls-remote only), a reconcile within the TTL (no network),
 * 100 workers on one repository at once, and a new commit on the branch.
 */
@Tag("benchmark")
class SourceBenchmark {

    private static final int FILES = 300;
    private static final int HISTORY = 40;

    @Test
    void run() throws Exception {
        Path tmp = Files.createTempDirectory("pymode-source-bench");
        ManualClock clock = new ManualClock(Instant.now());
        try (GitServer server = new GitServer(tmp.resolve("served"))) {
            GitRepo repo = GitRepo.create(server.root(), "app.git");
            for (int commit = 0; commit < HISTORY; commit++) {
                Map<String, String> files = new LinkedHashMap<>();
                for (int i = 0; i < FILES; i++) {
                    files.put("app/pkg" + (i % 10) + "/module" + i + ".py", ("# revision " + (i == commit ? commit : 0)
                            + "\n" + "def f" + i + "(x):\n    return x * " + i + "\n").repeat(20));
                }
                repo.commit("main", "commit " + commit, files);
            }
            String url = server.url("app.git");
            var request = new GitSourceFetcher.Request(url, "main", "app", new GitCredentials.None(),
                    Duration.ofMinutes(5), null, null);

            // JGit's and the HTTP client's classes load on first use: warm them on another repository first
            GitRepo warm = GitRepo.create(server.root(), "warmup.git");
            warm.commit("main", "warm", Map.of("a.py", "x = 1\n"));
            new GitSourceFetcher(tmp.resolve("cache-warm"), 1L << 30, Duration.ofSeconds(15), Duration.ofSeconds(60),
                    clock).fetch(new GitSourceFetcher.Request(server.url("warmup.git"), "main", ".",
                    new GitCredentials.None(), Duration.ofMinutes(5), null, null));

            System.out.println("\n== git source: " + FILES + " files, " + HISTORY + " commits of history");
            System.out.printf("%-52s %10s %12s%n", "case", "ms", "fetch POSTs");

            long t = System.nanoTime();
            GitRepo.git(tmp, "clone", "-q", "--depth", "1", "--branch", "main", url, tmp.resolve("cli-clone").toString());
            row("git clone --depth 1 (git CLI, baseline)", t, -1);

            GitSourceFetcher fetcher = new GitSourceFetcher(tmp.resolve("cache"), 1L << 30, Duration.ofSeconds(15),
                    Duration.ofSeconds(60), clock);
            int posts = server.uploadPackPosts();
            t = System.nanoTime();
            ProjectSource first = fetcher.fetch(request);
            row("first resolve (ls-remote + shallow fetch + read)", t, server.uploadPackPosts() - posts);

            posts = server.uploadPackPosts();
            t = System.nanoTime();
            fetcher.fetch(request);
            row("reconcile within the TTL (no network)", t, server.uploadPackPosts() - posts);

            clock.advance(Duration.ofSeconds(20));
            t = System.nanoTime();
            fetcher.fetch(request);
            row("re-check, commit unchanged (ls-remote only)", t, server.uploadPackPosts() - posts);

            GitSourceFetcher fresh = new GitSourceFetcher(tmp.resolve("cache-100"), 1L << 30, Duration.ofSeconds(15),
                    Duration.ofSeconds(60), clock);
            posts = server.uploadPackPosts();
            int listings = server.refListings();
            ExecutorService pool = Executors.newFixedThreadPool(10); // JOSDK's default reconcile pool size
            t = System.nanoTime();
            List<Future<ProjectSource>> all = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                all.add(pool.submit(() -> fresh.fetch(request)));
            }
            for (Future<ProjectSource> f : all) {
                f.get();
            }
            pool.shutdown();
            row("100 workers, one repository, empty cache", t, server.uploadPackPosts() - posts);
            System.out.printf("%-52s %10d%n", "  ref listings (GET info/refs) for those 100", server.refListings() - listings);

            repo.commit("main", "one more", Map.of("app/pkg0/module0.py", "def f0(x):\n    return 0\n"));
            clock.advance(Duration.ofSeconds(20));
            posts = server.uploadPackPosts();
            t = System.nanoTime();
            ProjectSource next = fetcher.fetch(request);
            row("new commit on the branch (incremental fetch)", t, server.uploadPackPosts() - posts);

            System.out.printf("%nproject: %d files, %d bytes; on-disk cache after two commits: %d bytes%n",
                    first.files().size(), first.totalBytes(), fetcher.cachedBytes());
            System.out.println("digest changed with the commit: " + !first.digest().equals(next.digest()));
        }
    }

    private static void row(String name, long startNanos, int posts) {
        System.out.printf("%-52s %10.1f %12s%n", name, (System.nanoTime() - startNanos) / 1e6,
                posts < 0 ? "-" : Integer.toString(posts));
    }
}
