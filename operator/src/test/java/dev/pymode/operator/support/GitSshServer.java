package dev.pymode.operator.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PublicKey;

import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.server.Environment;
import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.Command;

/**
 * A real git server over ssh on loopback: Apache MINA sshd for the transport (public-key authentication
 * only, for one client key) and git's own {@code git upload-pack} for every fetch, serving the bare
 * repositories under one directory.
 */
public final class GitSshServer implements AutoCloseable {

    private final SshServer server;
    private final KeyPair hostKey;

    public GitSshServer(Path root, PublicKey authorized) throws IOException, GeneralSecurityException {
        hostKey = KeyUtils.generateKeyPair("ecdsa-sha2-nistp256", 256);
        server = SshServer.setUpDefaultServer();
        server.setHost("127.0.0.1");
        server.setPort(0);
        server.setKeyPairProvider(KeyPairProvider.wrap(hostKey));
        server.setPasswordAuthenticator(null);
        server.setKeyboardInteractiveAuthenticator(null);
        server.setPublickeyAuthenticator((user, key, session) -> KeyUtils.compareKeys(key, authorized));
        server.setCommandFactory((channel, command) -> new UploadPack(root, command));
        server.start();
    }

    public int port() {
        return server.getPort();
    }

    public String url(String repository) {
        return "ssh://git@127.0.0.1:" + port() + "/" + repository;
    }

    /** The known_hosts line of this server, as {@code ssh-keyscan -p <port> 127.0.0.1} prints it. */
    public String knownHostsLine() {
        return "[127.0.0.1]:" + port() + " " + PublicKeyEntry.toString(hostKey.getPublic());
    }

    /** A private key in OpenSSH format, as {@code ssh-keygen} writes it. */
    public static String openSshPrivateKey(KeyPair key) throws IOException, GeneralSecurityException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        OpenSSHKeyPairResourceWriter.INSTANCE.writePrivateKey(key, "pymode-test", null, out);
        return out.toString(StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws IOException {
        server.stop(true);
    }

    /** {@code git-upload-pack '/repo.git'} run by the real git, its streams tied to the ssh channel. */
    private static final class UploadPack implements Command {
        private final Path root;
        private final String command;
        private InputStream in;
        private OutputStream out;
        private OutputStream err;
        private ExitCallback exit;
        private Process process;

        UploadPack(Path root, String command) {
            this.root = root;
            this.command = command;
        }

        @Override
        public void setInputStream(InputStream in) {
            this.in = in;
        }

        @Override
        public void setOutputStream(OutputStream out) {
            this.out = out;
        }

        @Override
        public void setErrorStream(OutputStream err) {
            this.err = err;
        }

        @Override
        public void setExitCallback(ExitCallback exit) {
            this.exit = exit;
        }

        @Override
        public void start(ChannelSession channel, Environment env) throws IOException {
            String[] parts = command.split(" ", 2);
            if (parts.length != 2 || !parts[0].equals("git-upload-pack")) {
                exit.onExit(1, "only git-upload-pack is served");
                return;
            }
            String repository = parts[1].replace("'", "").replaceFirst("^/+", "");
            ProcessBuilder builder = new ProcessBuilder("git", "upload-pack", root.resolve(repository).toString());
            String protocol = env.getEnv().get("GIT_PROTOCOL");
            if (protocol != null) {
                builder.environment().put("GIT_PROTOCOL", protocol);
            }
            process = builder.start();
            Thread input = pump(in, process.getOutputStream(), true);
            Thread output = pump(process.getInputStream(), out, false);
            Thread errors = pump(process.getErrorStream(), err, false);
            Thread waiter = new Thread(() -> {
                try {
                    int code = process.waitFor();
                    output.join();
                    errors.join();
                    input.interrupt();
                    exit.onExit(code);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "git-ssh-exit");
            waiter.setDaemon(true);
            waiter.start();
        }

        private static Thread pump(InputStream from, OutputStream to, boolean closeTarget) {
            Thread thread = new Thread(() -> {
                byte[] buffer = new byte[8192];
                try {
                    int n;
                    while ((n = from.read(buffer)) != -1) {
                        to.write(buffer, 0, n);
                        to.flush();
                    }
                } catch (IOException e) {
                    // the other side went away
                } finally {
                    if (closeTarget) {
                        try {
                            to.close();
                        } catch (IOException e) {
                            // already closed
                        }
                    }
                }
            }, "git-ssh-pump");
            thread.setDaemon(true);
            thread.start();
            return thread;
        }

        @Override
        public void destroy(ChannelSession channel) {
            if (process != null) {
                process.destroy();
            }
        }
    }
}
