package dev.pymode.operator.source.git;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;

import dev.pymode.devenv.GitRepo;
import dev.pymode.operator.source.ProjectSource;
import dev.pymode.operator.source.SourceFailure;
import dev.pymode.operator.support.GitSshServer;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ssh:// sources against a real git over ssh (MINA sshd running git upload-pack): the Secret's Ed25519 key
 * authenticates, and the server's host key must be the one in the Secret's known_hosts.
 */
class GitSshFetchTest {

    @TempDir
    Path tmp;

    private KeyPair clientKey;
    private GitSshServer server;
    private String commit;
    private GitSourceFetcher fetcher;

    @BeforeEach
    void setUp() throws Exception {
        clientKey = KeyUtils.generateKeyPair("ssh-ed25519", 256);
        Path root = tmp.resolve("served");
        java.nio.file.Files.createDirectories(root);
        commit = GitRepo.create(root, "project.git").commit("main", "first", Map.of("src/entry.py", "x = 1"));
        server = new GitSshServer(root, clientKey.getPublic());
        fetcher = new GitSourceFetcher(tmp.resolve("cache"), 1L << 30, Duration.ofSeconds(15), Duration.ofSeconds(20),
                Clock.systemUTC());
    }

    @AfterEach
    void tearDown() throws Exception {
        server.close();
    }

    private GitSourceFetcher.Request request(GitCredentials credentials) {
        return new GitSourceFetcher.Request(server.url("project.git"), "main", ".", credentials, Duration.ofMinutes(5),
                "key 'identity' of Secret ns/ssh", "key 'known_hosts' of Secret ns/ssh");
    }

    private SourceFailure failure(GitCredentials credentials) {
        try {
            fetcher.fetch(request(credentials));
        } catch (SourceFailure e) {
            return e;
        }
        throw new AssertionError("expected the fetch to fail");
    }

    @Test
    void theSecretsKeyAndKnownHostsFetch() throws Exception {
        var credentials = new GitCredentials.Ssh(GitSshServer.openSshPrivateKey(clientKey), server.knownHostsLine() + "\n");
        ProjectSource source = fetcher.fetch(request(credentials));
        assertThat(source.files()).containsOnlyKeys("src/entry.py");
        assertThat(source.revision()).isEqualTo("git:" + server.url("project.git") + "@main:" + commit);
        assertThat(credentials.toString()).doesNotContain("PRIVATE KEY");
    }

    @Test
    void aHostKeyNotInKnownHostsIsRefused() throws Exception {
        String otherKey = PublicKeyEntry.toString(KeyUtils.generateKeyPair("ecdsa-sha2-nistp256", 256).getPublic());
        String key = GitSshServer.openSshPrivateKey(clientKey);

        SourceFailure changed = failure(new GitCredentials.Ssh(key, "[127.0.0.1]:" + server.port() + " " + otherKey));
        assertThat(changed.reason()).isEqualTo("HostKeyVerificationFailed");
        assertThat(changed.getMessage()).contains("does not match the one in known_hosts").contains(server.url("project.git"));

        SourceFailure unknown = failure(new GitCredentials.Ssh(key, "git.example.com " + otherKey));
        assertThat(unknown.reason()).isEqualTo("HostKeyVerificationFailed");
        assertThat(unknown.getMessage()).contains("known_hosts has no key for [127.0.0.1]:" + server.port());
    }

    @Test
    void aKeyTheServerDoesNotKnowFailsAuthentication() throws Exception {
        KeyPair stranger = KeyUtils.generateKeyPair("ssh-ed25519", 256);
        SourceFailure failure = failure(new GitCredentials.Ssh(GitSshServer.openSshPrivateKey(stranger),
                server.knownHostsLine()));
        assertThat(failure.reason()).isEqualTo("AuthenticationFailed");
        assertThat(failure.getMessage()).contains(server.url("project.git"));
    }

    @Test
    void unreadableKeysAndKnownHostsSaySo() throws Exception {
        SourceFailure key = failure(new GitCredentials.Ssh("not a key", server.knownHostsLine()));
        assertThat(key.reason()).isEqualTo("InvalidCredentials");
        assertThat(key.getMessage()).contains("key 'identity' of Secret ns/ssh").doesNotContain("not a key");
        SourceFailure hosts = failure(new GitCredentials.Ssh(GitSshServer.openSshPrivateKey(clientKey), "# nothing\n"));
        assertThat(hosts.getMessage()).contains("key 'known_hosts' of Secret ns/ssh lists no host key");
    }
}
