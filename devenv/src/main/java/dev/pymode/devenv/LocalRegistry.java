package dev.pymode.devenv;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A real OCI registry (Debian's docker-registry, the CNCF distribution registry) on loopback, with its storage
 * in a directory so it can be stopped and started again (registry outages in tests) without losing content.
 */
public final class LocalRegistry implements AutoCloseable {

    private final Path storage;
    private final int port;
    private Process process;

    public LocalRegistry(Path storage) throws IOException {
        this.storage = storage;
        try (ServerSocket socket = new ServerSocket(0)) {
            this.port = socket.getLocalPort();
        }
    }

    /** host:port, as in image references. */
    public String host() {
        return "127.0.0.1:" + port;
    }

    public LocalRegistry start() throws IOException, InterruptedException {
        Files.createDirectories(storage.resolve("data"));
        Path config = storage.resolve("config.yml");
        Files.writeString(config, """
                version: 0.1
                log:
                  level: warn
                storage:
                  filesystem:
                    rootdirectory: %s
                  delete:
                    enabled: true
                http:
                  addr: %s
                """.formatted(storage.resolve("data"), host()));
        Path binary = RepositoryLayout.ociToolsBin().resolve("registry");
        process = new ProcessBuilder(List.of(binary.toString(), "serve", config.toString()))
                .redirectErrorStream(true).redirectOutput(storage.resolve("registry.log").toFile()).start();
        Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IOException("registry exited: " + Files.readString(storage.resolve("registry.log")));
            }
            if (answers()) {
                return this;
            }
            Thread.sleep(100);
        }
        throw new IOException("registry on " + host() + " did not answer within 20 s");
    }

    private boolean answers() {
        try {
            HttpURLConnection connection = (HttpURLConnection) URI.create("http://" + host() + "/v2/").toURL()
                    .openConnection();
            connection.setConnectTimeout(500);
            connection.setReadTimeout(500);
            return connection.getResponseCode() == 200;
        } catch (IOException e) {
            return false;
        }
    }

    /** Stops the registry; its content stays in the storage directory. */
    public void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            process.waitFor();
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
