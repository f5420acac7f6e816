package dev.pymode.devenv;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A repository made with the real git CLI: a bare repository (what servers serve) and a work tree to commit
 * from, so tests push commits, branches, tags and symlinks the way users do.
 */
public final class GitRepo {

    private final Path bare;
    private final Path work;

    private GitRepo(Path bare, Path work) {
        this.bare = bare;
        this.work = work;
    }

    /** Creates {@code <root>/<name>} (bare, default branch main) and a work tree beside it. */
    public static GitRepo create(Path root, String name) throws IOException {
        Path bare = root.resolve(name);
        Path work = Files.createTempDirectory("pymode-git-work");
        git(root, "init", "-q", "--bare", "-b", "main", bare.toString());
        git(work, "init", "-q", "-b", "main");
        git(work, "remote", "add", "origin", bare.toString());
        return new GitRepo(bare, work);
    }

    public Path bare() {
        return bare;
    }

    /** Writes the files (path → content; null deletes), commits everything and pushes the branch; returns the SHA. */
    public String commit(String branch, String message, Map<String, String> files) throws IOException {
        checkout(branch);
        for (var file : files.entrySet()) {
            Path path = work.resolve(file.getKey());
            if (file.getValue() == null) {
                Files.deleteIfExists(path);
            } else {
                Files.createDirectories(path.getParent());
                Files.writeString(path, file.getValue(), StandardCharsets.UTF_8);
            }
        }
        return commitAll(branch, message);
    }

    /** A symbolic link in the work tree, committed and pushed. */
    public String symlink(String branch, String path, String target) throws IOException {
        checkout(branch);
        Path link = work.resolve(path);
        Files.createDirectories(link.getParent());
        Files.deleteIfExists(link);
        Files.createSymbolicLink(link, Path.of(target));
        return commitAll(branch, "link " + path);
    }

    public void tag(String name, String commit, boolean annotated) throws IOException {
        if (annotated) {
            git(work, "tag", "-a", "-m", "release " + name, name, commit);
        } else {
            git(work, "tag", name, commit);
        }
        git(work, "push", "-q", "origin", "refs/tags/" + name);
    }

    private void checkout(String branch) throws IOException {
        String current = git(work, "symbolic-ref", "--short", "HEAD").strip();
        if (!current.equals(branch)) {
            boolean exists = !git(work, "branch", "--list", branch).isBlank();
            if (exists) {
                git(work, "checkout", "-q", branch);
            } else {
                git(work, "checkout", "-q", "-b", branch);
            }
        }
    }

    private String commitAll(String branch, String message) throws IOException {
        git(work, "add", "-A");
        git(work, "commit", "-q", "--allow-empty", "-m", message);
        git(work, "push", "-q", "origin", branch);
        return git(work, "rev-parse", "HEAD").strip();
    }

    public static String git(Path dir, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("git"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        builder.environment().put("GIT_CONFIG_NOSYSTEM", "1");
        builder.environment().put("HOME", dir.toString());
        for (String who : List.of("AUTHOR", "COMMITTER")) {
            builder.environment().put("GIT_" + who + "_NAME", "PyMode Test");
            builder.environment().put("GIT_" + who + "_EMAIL", "test@pymode.dev");
        }
        Process process = builder.start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (process.waitFor() != 0) {
                throw new IOException("git " + String.join(" ", args) + " failed: " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        return out;
    }
}
