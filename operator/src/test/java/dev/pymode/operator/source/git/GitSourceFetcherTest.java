package dev.pymode.operator.source.git;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
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
import dev.pymode.operator.source.SourceFailure;
import dev.pymode.operator.source.SourceLimits;
import dev.pymode.testkit.ManualClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The git fetcher against a real git server (git http-backend on loopback): ref resolution, the cache, paths,
 * links, limits and each failure's own message.
 */
class GitSourceFetcherTest {

    private static final Duration INTERVAL = Duration.ofMinutes(5);

    @TempDir
    Path tmp;

    private GitServer server;
    private GitRepo repo;
    private ManualClock clock;
    private GitSourceFetcher fetcher;

    @BeforeEach
    void setUp() throws Exception {
        server = new GitServer(tmp.resolve("served"));
        repo = GitRepo.create(server.root(), "project.git");
        clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
        fetcher = new GitSourceFetcher(tmp.resolve("cache"), 1L << 30, Duration.ofSeconds(15), Duration.ofSeconds(20),
                clock);
    }

    @AfterEach
    void tearDown() {
        server.close();
    }

    private GitSourceFetcher.Request request(String ref, String path) {
        return request(server.url("project.git"), ref, path, new GitCredentials.None());
    }

    private static GitSourceFetcher.Request request(String url, String ref, String path, GitCredentials credentials) {
        return new GitSourceFetcher.Request(url, ref, path, credentials, INTERVAL, "key 'token' of Secret ns/creds", null);
    }

    private static Map<String, String> files(String... pathsAndContents) {
        Map<String, String> files = new LinkedHashMap<>();
        for (int i = 0; i < pathsAndContents.length; i += 2) {
            files.put(pathsAndContents[i], pathsAndContents[i + 1]);
        }
        return files;
    }

    private static String text(ProjectSource source, String path) {
        return new String(source.files().get(path), StandardCharsets.UTF_8);
    }

    private SourceFailure failure(GitSourceFetcher.Request request) {
        try {
            fetcher.fetch(request);
        } catch (SourceFailure e) {
            return e;
        }
        throw new AssertionError("expected the fetch to fail");
    }

    @Test
    void branchResolvesToItsCommitAndOnlyThePathIsTaken() throws Exception {
        String sha = repo.commit("main", "first", files("README.md", "top", "app/src/entry.py", "x = 1",
                "app/pyproject.toml", "[project]", "other/file.txt", "no"));

        ProjectSource source = fetcher.fetch(request("main", "app"));

        assertThat(source.files()).containsOnlyKeys("src/entry.py", "pyproject.toml");
        assertThat(text(source, "src/entry.py")).isEqualTo("x = 1");
        assertThat(source.revision()).isEqualTo("git:" + server.url("project.git") + "@main:" + sha);
        assertThat(fetcher.fetch(request("main", "./app/")).digest()).isEqualTo(source.digest());
        assertThat(fetcher.fetch(request("main", ".")).files()).containsKeys("README.md", "app/src/entry.py")
                .doesNotContainKey(".git");
    }

    @Test
    void equalTreesGiveTheDigestOfAnInlineSourceWithTheSameFiles() throws Exception {
        repo.commit("main", "first", files("src/entry.py", "x = 1"));
        ProjectSource fromGit = fetcher.fetch(request("main", "."));
        ProjectSource inline = new ProjectSource(Map.of("src/entry.py", "x = 1".getBytes(StandardCharsets.UTF_8)),
                "inline@generation-1");
        assertThat(fromGit.digest()).isEqualTo(inline.digest());
    }

    @Test
    void tagsAndCommitShasResolveToCommits() throws Exception {
        String first = repo.commit("main", "first", files("a.py", "1"));
        repo.tag("v1", first, true);
        repo.tag("light", first, false);
        String second = repo.commit("main", "second", files("a.py", "2"));

        assertThat(fetcher.fetch(request("v1", ".")).revision()).endsWith("@v1:" + first);
        assertThat(text(fetcher.fetch(request("v1", ".")), "a.py")).isEqualTo("1");
        assertThat(fetcher.fetch(request("light", ".")).revision()).endsWith("@light:" + first);
        assertThat(fetcher.fetch(request("refs/heads/main", ".")).revision()).endsWith(":" + second);
        ProjectSource bySha = fetcher.fetch(request(first, "."));
        assertThat(bySha.revision()).endsWith("@" + first + ":" + first);
        assertThat(text(bySha, "a.py")).isEqualTo("1");
    }

    @Test
    void aCachedCommitIsNotFetchedAgainAndConcurrentWorkersShareOneFetch() throws Exception {
        repo.commit("main", "first", files("src/entry.py", "x = 1"));
        // what one fetch of this commit costs (protocol v2 may take more than one request)
        new GitSourceFetcher(tmp.resolve("other-cache"), 1L << 30, Duration.ofSeconds(15), Duration.ofSeconds(20), clock)
                .fetch(request("main", "."));
        int oneFetch = server.uploadPackPosts();
        assertThat(oneFetch).isPositive();
        int before = server.uploadPackPosts();

        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<ProjectSource>> results = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                results.add(pool.submit(() -> fetcher.fetch(request("main", "."))));
            }
            for (Future<ProjectSource> result : results) {
                assertThat(result.get().files()).containsKey("src/entry.py");
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(server.uploadPackPosts() - before).as("20 workers on one commit: one fetch").isEqualTo(oneFetch);

        clock.advance(Duration.ofMinutes(1)); // the remembered ref list is stale: ls-remote again, but no fetch
        int listings = server.refListings();
        fetcher.fetch(request("main", "."));
        assertThat(server.refListings()).isGreaterThan(listings);
        assertThat(server.uploadPackPosts() - before).as("unchanged commit: nothing fetched").isEqualTo(oneFetch);
    }

    @Test
    void aNewCommitIsSeenOnceTheRememberedRefsAreOlderThanTheTtl() throws Exception {
        String first = repo.commit("main", "first", files("src/entry.py", "x = 1"));
        ProjectSource before = fetcher.fetch(request("main", "."));
        String second = repo.commit("main", "second", files("src/entry.py", "x = 2"));

        assertThat(fetcher.fetch(request("main", ".")).revision()).as("within the TTL").endsWith(first);
        clock.advance(Duration.ofSeconds(16));
        ProjectSource after = fetcher.fetch(request("main", "."));
        assertThat(after.revision()).endsWith(second);
        assertThat(after.digest()).isNotEqualTo(before.digest());
        assertThat(fetcher.cachedBytes()).isPositive();
    }

    @Test
    void unknownRefNamesTheRepositoryTheRefAndWhatExists() throws Exception {
        String sha = repo.commit("main", "first", files("a.py", "1"));
        repo.tag("v1", sha, false);
        SourceFailure failure = failure(request("nope", "."));
        assertThat(failure.reason()).isEqualTo("GitRefNotFound");
        assertThat(failure.kind()).isEqualTo(SourceFailure.Kind.TERMINAL);
        assertThat(failure.getMessage()).contains("'nope'").contains(server.url("project.git"))
                .contains("branches: main").contains("tags: v1");
        assertThat(failure(request(sha.substring(0, 7), ".")).getMessage()).contains("give all 40 characters");
    }

    @Test
    void aCommitTheServerDoesNotHaveIsReportedAsSuch() throws Exception {
        repo.commit("main", "first", files("a.py", "1"));
        SourceFailure failure = failure(request("0123456789abcdef0123456789abcdef01234567", "."));
        assertThat(failure.reason()).isEqualTo("GitCommitNotFound");
        assertThat(failure.getMessage()).contains("0123456789abcdef0123456789abcdef01234567")
                .contains(server.url("project.git"));
    }

    @Test
    void missingRepositoryAndUnreachableServerAreTellApart() throws Exception {
        SourceFailure missing = failure(request(server.url("nothing-here.git"), "main", ".", new GitCredentials.None()));
        assertThat(missing.reason()).isEqualTo("RepositoryNotFound");
        assertThat(missing.getMessage()).contains(server.url("nothing-here.git"));

        String closed = "http://127.0.0.1:1/project.git";
        SourceFailure unreachable = failure(request(closed, "main", ".", new GitCredentials.None()));
        assertThat(unreachable.reason()).isEqualTo("SourceUnavailable");
        assertThat(unreachable.kind()).isEqualTo(SourceFailure.Kind.TRANSIENT);
        assertThat(unreachable.getMessage()).contains(closed).contains("unreachable");
    }

    @Test
    void credentialsAreRequiredCheckedAndNeverShown() throws Exception {
        repo.commit("main", "first", files("a.py", "1"));
        server.requireCredentials("project.git", "ada", "s3cret-pass");
        server.forbid("project.git", "eve", "other-pass");
        String url = server.url("project.git");

        SourceFailure anonymous = failure(request(url, "main", ".", new GitCredentials.None()));
        assertThat(anonymous.reason()).isEqualTo("AuthenticationFailed");
        assertThat(anonymous.getMessage()).contains(url).contains("401").contains("set credentialsSecretRef");

        SourceFailure wrong = failure(request(url, "main", ".", new GitCredentials.Basic("ada", "wrong-pass")));
        assertThat(wrong.reason()).isEqualTo("AuthenticationFailed");
        assertThat(wrong.getMessage()).contains(url).contains("refused the credentials").doesNotContain("wrong-pass");

        SourceFailure forbidden = failure(request(url, "main", ".", new GitCredentials.Basic("eve", "other-pass")));
        assertThat(forbidden.reason()).isEqualTo("AuthenticationFailed");
        assertThat(forbidden.getMessage()).contains("403").doesNotContain("other-pass");

        ProjectSource source = fetcher.fetch(request(url, "main", ".", GitCredentials.http("ada:s3cret-pass\n", "x")));
        assertThat(source.files()).containsKey("a.py");
        assertThat(source.revision()).doesNotContain("s3cret");
    }

    @Test
    void aCommitCachedForOneWorkerIsNotServedToAnotherWithoutAccess() throws Exception {
        String sha = repo.commit("main", "first", files("a.py", "1"));
        server.requireCredentials("project.git", "ada", "pass");
        String url = server.url("project.git");
        fetcher.fetch(request(url, sha, ".", new GitCredentials.Basic("ada", "pass")));

        assertThat(failure(request(url, sha, ".", new GitCredentials.None())).reason()).isEqualTo("AuthenticationFailed");
    }

    @Test
    void pathMustBeADirectoryOfTheCommit() throws Exception {
        repo.commit("main", "first", files("app/entry.py", "1"));
        SourceFailure missing = failure(request("main", "nope"));
        assertThat(missing.reason()).isEqualTo("PathNotFound");
        assertThat(missing.getMessage()).contains("no directory 'nope'").contains(server.url("project.git") + "@main");
        assertThat(failure(request("main", "app/entry.py")).getMessage()).contains("is a file");
    }

    @Test
    void linksInsideTheProjectAreCopiedAndOthersRefused() throws Exception {
        repo.commit("main", "first", files("app/shared/config.py", "C = 1", "secret.txt", "outside", "app/e.py", "1"));
        repo.symlink("main", "app/config.py", "shared/config.py");
        ProjectSource source = fetcher.fetch(request("main", "app"));
        assertThat(text(source, "config.py")).isEqualTo("C = 1");

        repo.symlink("main", "app/leak.txt", "../secret.txt");
        clock.advance(Duration.ofMinutes(1));
        SourceFailure escaping = failure(request("main", "app"));
        assertThat(escaping.reason()).isEqualTo("UnsafeLink");
        assertThat(escaping.getMessage()).contains("leak.txt -> ../secret.txt").contains("outside the project");

        repo.commit("main", "drop leak", files("app/leak.txt", null));
        repo.symlink("main", "app/dir", "shared");
        clock.advance(Duration.ofMinutes(1));
        assertThat(failure(request("main", "app")).getMessage()).contains("points at a directory");

        repo.commit("main", "drop dir link", files("app/dir", null));
        repo.symlink("main", "app/abs", "/etc/passwd");
        clock.advance(Duration.ofMinutes(1));
        assertThat(failure(request("main", "app")).getMessage()).contains("abs -> /etc/passwd");
    }

    @Test
    void aProjectLargerThanTheBuildConfigMapIsRefused() throws Exception {
        repo.commit("main", "big", files("src/entry.py", "x", "data.bin", "x".repeat((int) SourceLimits.MAX_BYTES)));
        SourceFailure failure = failure(request("main", "."));
        assertThat(failure.reason()).isEqualTo("SourceTooLarge");
        assertThat(failure.getMessage()).contains(Long.toString(SourceLimits.MAX_BYTES)).contains("@main");
    }

    @Test
    void httpCredentialsParseTokensAndUserPasswordPairs() throws Exception {
        assertThat(GitCredentials.http("ghp_abc\n", "x")).isEqualTo(new GitCredentials.Basic("x-access-token", "ghp_abc"));
        assertThat(GitCredentials.http("ada:pa:ss", "x")).isEqualTo(new GitCredentials.Basic("ada", "pa:ss"));
        assertThat(GitCredentials.http("ada:pa:ss", "x").toString()).doesNotContain("pa:ss");
        assertThatThrownBy(() -> GitCredentials.http("  ", "key 'token' of Secret ns/s"))
                .hasMessageContaining("key 'token' of Secret ns/s is empty");
        assertThatThrownBy(() -> GitCredentials.http(":x", "k")).hasMessageContaining("empty username");
    }
}
