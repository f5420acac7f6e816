package dev.pymode.devenv;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A real git server on loopback: git's own smart-HTTP implementation ({@code git http-backend}, run as CGI per
 * request) behind the JDK's HTTP server, serving the bare repositories under one directory. Optionally
 * requires basic credentials per repository (401 without or with wrong ones, 403 for a read-only-denied user),
 * and counts requests so tests can tell ref listings from fetches.
 */
public final class GitServer implements AutoCloseable {

    private static final Path BACKEND = Path.of("/usr/lib/git-core/git-http-backend");

    private final Path root;
    private final HttpServer server;
    private final ExecutorService executor = Executors.newFixedThreadPool(8);
    private final Map<String, String> passwords = new ConcurrentHashMap<>();
    private final Map<String, String> forbiddenUsers = new ConcurrentHashMap<>();
    private final AtomicInteger refListings = new AtomicInteger();
    private final AtomicInteger fetches = new AtomicInteger();

    public GitServer(Path root) throws IOException {
        this.root = root;
        Files.createDirectories(root);
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    /** http://127.0.0.1:port/ */
    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/";
    }

    public String url(String repository) {
        return baseUrl() + repository;
    }

    public Path root() {
        return root;
    }

    /** Requests to {@code repository} need these credentials from now on. */
    public void requireCredentials(String repository, String username, String password) {
        passwords.put(repository, username + ":" + password);
    }

    /** This user authenticates but may not read {@code repository} (HTTP 403). */
    public void forbid(String repository, String username, String password) {
        forbiddenUsers.put(repository, username + ":" + password);
    }

    /** GET .../info/refs requests so far (ls-remote and the first half of every fetch). */
    public int refListings() {
        return refListings.get();
    }

    /** POST .../git-upload-pack requests so far (fetches; ls-remote over protocol v2 also POSTs ls-refs). */
    public int uploadPackPosts() {
        return fetches.get();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            String repository = path.substring(1).split("/", 2)[0];
            if (!authorised(exchange, repository)) {
                return;
            }
            byte[] body = exchange.getRequestBody().readAllBytes();
            if (path.endsWith("/info/refs")) {
                refListings.incrementAndGet();
            } else if (path.endsWith("/git-upload-pack")
                    && !isLsRefs(body, exchange.getRequestHeaders().getFirst("Content-Encoding"))) {
                fetches.incrementAndGet();
            }
            ProcessBuilder cgi = new ProcessBuilder(BACKEND.toString());
            Map<String, String> env = cgi.environment();
            env.put("GIT_PROJECT_ROOT", root.toString());
            env.put("GIT_HTTP_EXPORT_ALL", "1");
            env.put("PATH_INFO", path);
            env.put("REQUEST_METHOD", exchange.getRequestMethod());
            env.put("QUERY_STRING", exchange.getRequestURI().getRawQuery() == null ? ""
                    : exchange.getRequestURI().getRawQuery());
            env.put("REMOTE_ADDR", "127.0.0.1");
            env.put("CONTENT_LENGTH", Integer.toString(body.length));
            String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
            if (contentType != null) {
                env.put("CONTENT_TYPE", contentType);
            }
            String encoding = exchange.getRequestHeaders().getFirst("Content-Encoding");
            if (encoding != null) {
                env.put("HTTP_CONTENT_ENCODING", encoding);
            }
            String protocol = exchange.getRequestHeaders().getFirst("Git-Protocol");
            if (protocol != null) {
                env.put("GIT_PROTOCOL", protocol);
            }
            cgi.redirectError(ProcessBuilder.Redirect.DISCARD);
            Process process = cgi.start();
            try (OutputStream in = process.getOutputStream()) {
                in.write(body);
            }
            respond(exchange, process.getInputStream());
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Protocol v2 ls-remote POSTs "command=ls-refs" (JGit gzips request bodies); only fetches count as fetches. */
    private static boolean isLsRefs(byte[] body, String encoding) throws IOException {
        byte[] plain = body;
        if ("gzip".equalsIgnoreCase(encoding)) {
            try (var gzip = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(body))) {
                plain = gzip.readNBytes(256);
            }
        }
        String head = new String(plain, 0, Math.min(plain.length, 64), StandardCharsets.ISO_8859_1);
        return head.contains("command=ls-refs");
    }

    private boolean authorised(HttpExchange exchange, String repository) throws IOException {
        String required = passwords.get(repository);
        if (required == null) {
            return true;
        }
        String header = exchange.getRequestHeaders().getFirst("Authorization");
        String given = header != null && header.startsWith("Basic ")
                ? new String(Base64.getDecoder().decode(header.substring(6)), StandardCharsets.UTF_8) : null;
        if (given != null && given.equals(forbiddenUsers.get(repository))) {
            exchange.sendResponseHeaders(403, -1);
            return false;
        }
        if (!required.equals(given)) {
            exchange.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"git\"");
            exchange.sendResponseHeaders(401, -1);
            return false;
        }
        return true;
    }

    /** Copies the CGI response: headers (with an optional Status:) up to the blank line, then the body. */
    private static void respond(HttpExchange exchange, InputStream out) throws IOException {
        int status = 200;
        List<String> headers = new ArrayList<>();
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = out.read()) != -1) {
            if (b == '\n') {
                String text = line.toString(StandardCharsets.ISO_8859_1).replaceAll("\r$", "");
                line.reset();
                if (text.isEmpty()) {
                    break;
                }
                headers.add(text);
            } else {
                line.write(b);
            }
        }
        for (String header : headers) {
            int colon = header.indexOf(':');
            String name = header.substring(0, colon).trim();
            String value = header.substring(colon + 1).trim();
            if (name.equalsIgnoreCase("Status")) {
                status = Integer.parseInt(value.split(" ")[0]);
            } else {
                exchange.getResponseHeaders().add(name, value);
            }
        }
        exchange.sendResponseHeaders(status, 0);
        try (OutputStream body = exchange.getResponseBody()) {
            out.transferTo(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
