package dev.pymode.operator.source.git;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

import dev.pymode.operator.source.SourceFailure;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;

/**
 * Bare, shallow repositories on disk, one per URL, holding only the commits workers asked for. One lock per
 * repository serialises its fetches and reads, so concurrent reconciles of workers on the same repository
 * fetch once. The total size is bounded: past {@code maxBytes}, the least recently used repositories are
 * deleted (a later reconcile fetches again what it needs).
 */
final class GitRepositoryCache {

    /** Work done with a repository while holding its lock. */
    @FunctionalInterface
    interface Use<T> {
        T apply(Repository repository) throws SourceFailure, IOException;
    }

    private final Path root;
    private final long maxBytes;
    private final Clock clock;
    private final ConcurrentHashMap<String, ReentrantLock> locks = new ConcurrentHashMap<>();
    private final Object eviction = new Object();

    GitRepositoryCache(Path root, long maxBytes, Clock clock) {
        this.root = root;
        this.maxBytes = maxBytes;
        this.clock = clock;
    }

    /** Runs {@code use} on the repository cached for {@code url}, creating it empty if needed. */
    <T> T with(String url, Use<T> use) throws SourceFailure {
        String key = key(url);
        ReentrantLock lock = locks.computeIfAbsent(key, k -> new ReentrantLock());
        lock.lock();
        try {
            Path dir = root.resolve(key);
            try {
                try (Repository repository = open(dir, url)) {
                    return use.apply(repository);
                } finally {
                    touch(dir);
                }
            } catch (IOException e) {
                // A damaged cache entry (disk full mid-fetch, a killed pod): drop it so the next attempt starts clean.
                delete(dir);
                throw SourceFailure.unavailable("SourceUnavailable", "the git cache for " + GitUrls.display(url)
                        + " could not be used (" + e.getClass().getSimpleName() + ": " + e.getMessage()
                        + "); it was reset and the next attempt fetches again", e);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Deletes least recently used repositories until the cache fits its bound; never the one for {@code keepUrl}. */
    void shrink(String keepUrl) {
        synchronized (eviction) {
            String keep = key(keepUrl);
            List<Path> repositories = repositories();
            long total = repositories.stream().mapToLong(GitRepositoryCache::size).sum();
            for (Path dir : repositories.stream().sorted(Comparator.comparing(GitRepositoryCache::lastUsed)).toList()) {
                if (total <= maxBytes) {
                    return;
                }
                String key = dir.getFileName().toString();
                if (key.equals(keep)) {
                    continue;
                }
                ReentrantLock lock = locks.computeIfAbsent(key, k -> new ReentrantLock());
                if (lock.tryLock()) { // in use right now: leave it, try the next
                    try {
                        long size = size(dir);
                        delete(dir);
                        total -= size;
                    } finally {
                        lock.unlock();
                    }
                }
            }
        }
    }

    /** Bytes on disk of every cached repository. */
    long totalBytes() {
        return repositories().stream().mapToLong(GitRepositoryCache::size).sum();
    }

    private Repository open(Path dir, String url) throws IOException {
        boolean fresh = !Files.isDirectory(dir.resolve("objects"));
        if (fresh) {
            delete(dir);
            Files.createDirectories(dir);
        }
        Repository repository = new FileRepositoryBuilder().setGitDir(dir.toFile()).setBare().build();
        if (fresh) {
            repository.create(true);
            Files.writeString(dir.resolve("pymode-url"), GitUrls.display(url) + "\n", StandardCharsets.UTF_8);
        }
        return repository;
    }

    private List<Path> repositories() {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> list = Files.list(root)) {
            return list.filter(Files::isDirectory).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private void touch(Path dir) {
        try {
            if (Files.isDirectory(dir)) {
                Files.setLastModifiedTime(dir, FileTime.from(clock.instant()));
            }
        } catch (IOException e) {
            // only the eviction order suffers
        }
    }

    private static FileTime lastUsed(Path dir) {
        try {
            return Files.getLastModifiedTime(dir);
        } catch (IOException e) {
            return FileTime.fromMillis(0);
        }
    }

    private static long size(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        } catch (IOException | UncheckedIOException e) {
            return 0;
        }
    }

    private static void delete(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | UncheckedIOException e) {
            // a leftover is recreated or overwritten on next use
        }
    }

    /** Directory name for a URL: a hash, so any URL makes a safe name. */
    static String key(String url) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(url.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
