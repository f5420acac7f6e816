package dev.pymode.operator.source.git;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.List;

import dev.pymode.operator.source.SourceFailure;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.util.security.SecurityUtils;
import org.eclipse.jgit.transport.sshd.JGitKeyCache;
import org.eclipse.jgit.transport.sshd.SshdSessionFactory;
import org.eclipse.jgit.transport.sshd.SshdSessionFactoryBuilder;

/**
 * An ssh session factory for one fetch: only the Secret's private key, only the Secret's known_hosts, and
 * nothing from the operator's own environment (no ~/.ssh/config, default identities or ssh-agent).
 */
final class GitSsh implements AutoCloseable {

    private final SshdSessionFactory factory;
    private final KnownHosts knownHosts;

    private GitSsh(SshdSessionFactory factory, KnownHosts knownHosts) {
        this.factory = factory;
        this.knownHosts = knownHosts;
    }

    /**
     * @param home           an empty private directory JGit may treat as $HOME (it reads nothing from it)
     * @param keyWhere       names the Secret key of the private key in messages
     * @param knownHostsWhere names the Secret key of the host keys in messages
     */
    static GitSsh open(GitCredentials.Ssh credentials, Path home, String keyWhere, String knownHostsWhere)
            throws SourceFailure {
        List<KeyPair> keys = keyPairs(credentials.privateKey(), keyWhere);
        KnownHosts knownHosts = KnownHosts.parse(credentials.knownHosts(), knownHostsWhere);
        SshdSessionFactory factory = new SshdSessionFactoryBuilder()
                .setHomeDirectory(home.toFile())
                .setSshDirectory(home.resolve(".ssh").toFile())
                .setConfigStoreFactory((h, f, user) -> null)
                .setDefaultIdentities(dir -> List.of())
                .setDefaultKnownHostsFiles(dir -> List.of())
                .setDefaultKeysProvider(dir -> keys)
                .setServerKeyDatabase((h, s) -> knownHosts)
                .setConnectorFactory(null)
                .setPreferredAuthentications("publickey")
                .build(new JGitKeyCache());
        return new GitSsh(factory, knownHosts);
    }

    SshdSessionFactory factory() {
        return factory;
    }

    /** Why the server's host key was refused, when it was. */
    String hostKeyRefusal() {
        return knownHosts.refusal();
    }

    static List<KeyPair> keyPairs(String privateKey, String where) throws SourceFailure {
        List<KeyPair> keys = new ArrayList<>();
        try {
            Iterable<KeyPair> loaded = SecurityUtils.loadKeyPairIdentities(null, NamedResource.ofName(where),
                    new ByteArrayInputStream(privateKey.getBytes(StandardCharsets.UTF_8)), null);
            if (loaded != null) {
                loaded.forEach(keys::add);
            }
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            // The loader's messages can quote the input; only the type of failure is reported.
            throw SourceFailure.terminal("InvalidCredentials", where + " is not a readable unencrypted private key "
                    + "(OpenSSH or PEM; " + e.getClass().getSimpleName() + ")");
        }
        if (keys.isEmpty()) {
            throw SourceFailure.terminal("InvalidCredentials", where + " holds no private key "
                    + "(expected OpenSSH or PEM format, unencrypted)");
        }
        return keys;
    }

    @Override
    public void close() {
        factory.close();
    }
}
