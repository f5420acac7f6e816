package dev.pymode.devenv;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The local Cloudflare API stand-in (cfstandin/): validates requests against Cloudflare's OpenAPI file and runs
 * deployed scripts in workerd. Started as a node process on a free loopback port, state in a directory.
 */
public final class LocalCloudflare implements AutoCloseable {

    public static final String SUBDOMAIN = "pymode-local";

    private final Path stateDir;
    private final String accountId;
    private final String token;
    private final int port;
    private final List<String> zones = new java.util.ArrayList<>();
    // every deployed script keeps its runtime (the tiers' tests expect what they deployed to stay warm)
    private int maxRuntimes = 0;
    private int idleStopSeconds = 0;
    private Process process;

    public LocalCloudflare(Path stateDir, String accountId, String token) throws IOException {
        this.stateDir = stateDir;
        this.accountId = accountId;
        this.token = token;
        try (ServerSocket socket = new ServerSocket(0)) {
            this.port = socket.getLocalPort();
        }
    }

    public String apiUrl() {
        return "http://127.0.0.1:" + port + "/client/v4";
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    public String accountId() {
        return accountId;
    }

    public String token() {
        return token;
    }

    public Path stateDir() {
        return stateDir;
    }

    /** A zone the account owns (for route tests); call before {@link #start()}. */
    public LocalCloudflare withZone(String zone) {
        zones.add(zone);
        return this;
    }

    /**
     * Bounds the script runtimes the stand-in keeps (cfstandin --max-runtimes / --idle-stop): at most
     * {@code max} run at once, and an idle one stops after {@code idleStopSeconds}; stopped ones start again on
     * their next request. For fleets (FleetBenchmark); without it every deployed script keeps its runtime.
     */
    public LocalCloudflare withRuntimeLimits(int max, int idleStopSeconds) {
        this.maxRuntimes = max;
        this.idleStopSeconds = idleStopSeconds;
        return this;
    }

    /** Starts node cfstandin/bin/cfstandin.mjs and waits for its READY line. */
    public LocalCloudflare start() throws IOException, InterruptedException {
        Files.createDirectories(stateDir);
        Path root = RepositoryLayout.root();
        Path log = stateDir.resolve("cfstandin.log");
        List<String> command = new java.util.ArrayList<>(List.of("node",
                root.resolve("cfstandin/bin/cfstandin.mjs").toString(), "--port", Integer.toString(port),
                "--state-dir", stateDir.resolve("state").toString(), "--account", accountId, "--token", token,
                "--subdomain", SUBDOMAIN));
        zones.forEach(zone -> command.addAll(List.of("--zone", zone)));
        command.addAll(List.of("--max-runtimes", Integer.toString(maxRuntimes),
                "--idle-stop", Integer.toString(idleStopSeconds)));
        process = new ProcessBuilder(command).redirectErrorStream(true).start();
        CompletableFuture<Boolean> ready = new CompletableFuture<>();
        Thread pump = new Thread(() -> {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8)); var out = Files.newBufferedWriter(log, StandardCharsets.UTF_8)) {
                String line;
                while ((line = reader.readLine()) != null) {
                    out.write(line);
                    out.newLine();
                    out.flush();
                    if (line.startsWith("READY")) {
                        ready.complete(true);
                    }
                }
            } catch (IOException e) {
                ready.completeExceptionally(e);
            }
            ready.complete(false);
        }, "cfstandin-log");
        pump.setDaemon(true);
        pump.start();
        try {
            if (!ready.get(60, TimeUnit.SECONDS)) {
                throw new IOException("cfstandin exited before READY: " + Files.readString(log));
            }
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IOException("cfstandin did not start: " + Files.readString(log), e);
        }
        return this;
    }

    /** Its output so far (requests, workerd logs); tests scan it for leaked secrets. */
    public String log() throws IOException {
        return Files.readString(stateDir.resolve("cfstandin.log"));
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }
}
