package dev.pymode.operator.source.git;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

import dev.pymode.operator.source.ProjectSource;
import dev.pymode.operator.source.ProjectTreeBuilder;
import dev.pymode.operator.source.RecentAnswers;
import dev.pymode.operator.source.ResolvedTrees;
import dev.pymode.operator.source.SourceFailure;
import dev.pymode.operator.source.SourceLimits;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.LsRemoteCommand;
import org.eclipse.jgit.api.TransportCommand;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectLoader;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevObject;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.transport.RefSpec;
import org.eclipse.jgit.transport.SshTransport;
import org.eclipse.jgit.transport.TagOpt;
import org.eclipse.jgit.transport.UsernamePasswordCredentialsProvider;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.jboss.logging.Logger;

/**
 * Fetches a git source: the ref is resolved to a commit with one ls-remote (shared between workers for a few
 * seconds), the commit is fetched shallowly into the on-disk cache only when it is not there yet, and the
 * project is read from the commit's tree under {@code path}.
 *
 * <p>Every resolution runs ls-remote with the asking worker's own credentials before anything cached is
 * used, so a commit fetched for one namespace is never served to a worker that cannot read the repository.
 */
public class GitSourceFetcher {

    private static final Logger LOG = Logger.getLogger(GitSourceFetcher.class);
    private static final int SYMLINK_TARGET_MAX = 4096;

    /** What a fetch needs from the worker's spec (and its Secret). */
    public record Request(String url, String ref, String path, GitCredentials credentials, Duration interval,
                          String credentialsWhere, String knownHostsWhere) {
    }

    private final GitRepositoryCache cache;
    private final Path sshHome;
    private final Duration remoteCacheTtl;
    private final int timeoutSeconds;
    private final RecentAnswers<Map<String, String>> advertisements;
    private final ResolvedTrees trees;

    public GitSourceFetcher(Path workDir, long cacheBytes, Duration remoteCacheTtl, Duration timeout, Clock clock) {
        JGitEnvironment.isolate();
        this.cache = new GitRepositoryCache(workDir.resolve("git"), cacheBytes, clock);
        this.sshHome = workDir.resolve("ssh-home");
        this.remoteCacheTtl = remoteCacheTtl;
        this.timeoutSeconds = (int) Math.max(1, timeout.toSeconds());
        this.advertisements = new RecentAnswers<>(clock, 512);
        this.trees = new ResolvedTrees(64, 16L * SourceLimits.MAX_BYTES);
    }

    public ProjectSource fetch(Request request) throws SourceFailure {
        String where = GitUrls.display(request.url());
        String ref = request.ref() == null || request.ref().isEmpty() ? "main" : request.ref();
        Map<String, String> advertised = advertised(request, ref, where);
        GitRefs.Resolved resolved = GitRefs.resolve(ref, advertised, where);
        String path = projectPath(request.path());
        String identity = request.url() + "\n" + resolved.commit() + "\n" + path;
        SortedMap<String, byte[]> files = trees.get(identity).orElse(null);
        String commit = resolved.commit();
        if (files == null) {
            Checkout checkout = checkout(request, resolved, path, where, ref);
            files = checkout.files();
            commit = checkout.commit();
            trees.put(request.url() + "\n" + commit + "\n" + path, files);
        }
        return new ProjectSource(files, "git:" + where + "@" + ref + ":" + commit);
    }

    private record Checkout(String commit, SortedMap<String, byte[]> files) {
    }

    /** ls-remote, answered from the recent answers when another reconcile just asked the same. */
    private Map<String, String> advertised(Request request, String ref, String where) throws SourceFailure {
        boolean allRefs = GitRefs.needsAllRefs(ref);
        // Asked even for a commit SHA: it proves this worker's credentials can read the repository before any
        // cached content is handed out.
        String key = request.url() + "\n" + request.credentials().fingerprint() + "\n" + allRefs;
        Duration maxAge = request.interval().compareTo(remoteCacheTtl) < 0 ? request.interval() : remoteCacheTtl;
        return advertisements.get(key, maxAge, () -> lsRemote(request, allRefs, where));
    }

    private Map<String, String> lsRemote(Request request, boolean allRefs, String where) throws SourceFailure {
        LsRemoteCommand command = Git.lsRemoteRepository().setRemote(request.url()).setTimeout(timeoutSeconds);
        if (!allRefs) {
            command.setHeads(true).setTags(true);
        }
        Collection<Ref> refs = remote(request, where, command, c -> c.call());
        Map<String, String> advertised = new LinkedHashMap<>();
        for (Ref r : refs) {
            ObjectId id = r.getPeeledObjectId() != null ? r.getPeeledObjectId() : r.getObjectId();
            if (id != null) {
                advertised.put(r.getName(), id.name());
            }
        }
        return advertised;
    }

    /** The commit's project files, fetching the commit first when the cache does not have it. */
    private Checkout checkout(Request request, GitRefs.Resolved resolved, String path, String where, String ref)
            throws SourceFailure {
        Checkout checkout = cache.with(request.url(), repository -> {
            ObjectId commit = ObjectId.fromString(resolved.commit());
            if (!hasCommit(repository, commit)) {
                long started = System.nanoTime();
                commit = fetchCommit(repository, request, resolved, where);
                LOG.infof("fetched %s@%s (%s) in %d ms", where, ref, commit.name(),
                        (System.nanoTime() - started) / 1_000_000);
            }
            String origin = "git " + where + "@" + ref + " (" + commit.abbreviate(12).name() + ")";
            return new Checkout(commit.name(), read(repository, commit, path, origin));
        });
        cache.shrink(request.url());
        return checkout;
    }

    private ObjectId fetchCommit(Repository repository, Request request, GitRefs.Resolved resolved, String where)
            throws SourceFailure, IOException {
        try {
            // Wanting the exact commit keeps the result equal to what ls-remote said; servers speaking protocol
            // v2 (and those allowing reachable SHA-1 wants) serve any commit they have.
            remote(request, where, Git.wrap(repository).fetch().setRemote(request.url())
                    .setRefSpecs(new RefSpec(resolved.commit())).setDepth(1).setTagOpt(TagOpt.NO_TAGS)
                    .setTimeout(timeoutSeconds), c -> c.call());
        } catch (SourceFailure e) {
            if (!refusedWant(e) || resolved.name() == null) {
                throw refusedWant(e) ? SourceFailure.terminal("GitCommitNotFound", "commit " + resolved.commit()
                        + " is not in " + where + " (or the server does not serve commits by SHA)") : e;
            }
            // An older server only serves advertised refs: fetch the ref itself (it may have moved on since).
            remote(request, where, Git.wrap(repository).fetch().setRemote(request.url())
                    .setRefSpecs(new RefSpec("+" + resolved.name() + ":refs/pymode/fetched")).setDepth(1)
                    .setTagOpt(TagOpt.NO_TAGS).setTimeout(timeoutSeconds), c -> c.call());
            Ref fetched = repository.exactRef("refs/pymode/fetched");
            if (fetched == null) {
                throw e;
            }
            return keep(repository, peel(repository, fetched.getObjectId()));
        }
        ObjectId commit = ObjectId.fromString(resolved.commit());
        if (!hasCommit(repository, commit)) {
            throw SourceFailure.terminal("GitCommitNotFound", "commit " + resolved.commit() + " is not in " + where);
        }
        return keep(repository, commit);
    }

    /** A ref per cached commit keeps its objects reachable (and shows what the cache holds). */
    private static ObjectId keep(Repository repository, ObjectId commit) throws IOException {
        RefUpdate update = repository.updateRef("refs/pymode/commits/" + commit.name());
        update.setNewObjectId(commit);
        update.forceUpdate();
        return commit;
    }

    private static boolean refusedWant(SourceFailure e) {
        String message = e.getMessage() == null ? "" : e.getMessage().toLowerCase(java.util.Locale.ROOT);
        return message.contains("not valid") || message.contains("not our ref") || message.contains("want ")
                || message.contains("does not have");
    }

    private static boolean hasCommit(Repository repository, ObjectId commit) {
        try (RevWalk walk = new RevWalk(repository)) {
            walk.parseCommit(commit);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static ObjectId peel(Repository repository, ObjectId id) throws IOException {
        try (RevWalk walk = new RevWalk(repository)) {
            RevObject object = walk.peel(walk.parseAny(id));
            return object.getId();
        }
    }

    /** The files under {@code path} in the commit's tree. */
    static SortedMap<String, byte[]> read(Repository repository, ObjectId commitId, String path, String origin)
            throws SourceFailure, IOException {
        try (RevWalk walk = new RevWalk(repository)) {
            RevCommit commit = walk.parseCommit(commitId);
            ObjectId tree = commit.getTree();
            if (!path.isEmpty()) {
                try (TreeWalk entry = TreeWalk.forPath(repository, path, commit.getTree())) {
                    if (entry == null) {
                        throw SourceFailure.terminal("PathNotFound", origin + " has no directory '" + path + "'");
                    }
                    if (!FileMode.TREE.equals(entry.getFileMode(0))) {
                        throw SourceFailure.terminal("PathNotFound", origin + ": '" + path
                                + "' is a file; path must name the project's directory");
                    }
                    tree = entry.getObjectId(0);
                }
            }
            ProjectTreeBuilder project = new ProjectTreeBuilder(origin + (path.isEmpty() ? "" : " path '" + path + "'"));
            try (TreeWalk files = new TreeWalk(repository)) {
                files.addTree(tree);
                files.setRecursive(true);
                while (files.next()) {
                    FileMode mode = files.getFileMode(0);
                    String name = project.normalize(files.getPathString());
                    if (name == null || FileMode.GITLINK.equals(mode)) {
                        continue; // .git contents; submodules are not fetched
                    }
                    ObjectLoader blob = repository.open(files.getObjectId(0), Constants.OBJ_BLOB);
                    if (FileMode.SYMLINK.equals(mode)) {
                        project.addSymlink(name, new String(blob.getBytes(SYMLINK_TARGET_MAX), StandardCharsets.UTF_8));
                    } else {
                        project.reserve(blob.getSize());
                        project.addFile(name, blob.getBytes());
                    }
                }
            }
            return new TreeMap<>(project.build());
        }
    }

    /** {@code ./src/} → {@code src}; the repository root is the empty string. */
    static String projectPath(String path) {
        String p = path == null ? "" : path.strip();
        while (p.startsWith("./")) {
            p = p.substring(2);
        }
        while (p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        return p.equals(".") ? "" : p.replaceAll("/+", "/").replace("/./", "/");
    }

    @FunctionalInterface
    private interface RemoteCall<C, T> {
        T call(C command) throws GitAPIException;
    }

    /** Runs a network command with the request's credentials, turning failures into specific ones. */
    private <C extends TransportCommand<C, ?>, T> T remote(Request request, String where, C command,
                                                          RemoteCall<C, T> call) throws SourceFailure {
        GitCredentials credentials = request.credentials();
        GitSsh ssh = null;
        try {
            if (credentials instanceof GitCredentials.Basic basic) {
                command.setCredentialsProvider(new UsernamePasswordCredentialsProvider(basic.username(), basic.password()));
            } else if (credentials instanceof GitCredentials.Ssh key) {
                Files.createDirectories(sshHome);
                ssh = GitSsh.open(key, sshHome, request.credentialsWhere(), request.knownHostsWhere());
                GitSsh session = ssh;
                command.setTransportConfigCallback(transport -> {
                    if (transport instanceof SshTransport sshTransport) {
                        sshTransport.setSshSessionFactory(session.factory());
                    }
                });
            } else if (GitUrls.isSsh(request.url())) {
                throw SourceFailure.terminal("InvalidCredentials", "ssh source " + where + " needs credentialsSecretRef: "
                        + "a private key, and the server's host keys under '" + GitCredentials.KNOWN_HOSTS_KEY
                        + "' in the same Secret");
            }
            return call.call(command);
        } catch (GitAPIException | RuntimeException e) {
            throw GitErrors.classify(e, where, !(credentials instanceof GitCredentials.None),
                    ssh == null ? null : ssh.hostKeyRefusal());
        } catch (IOException e) {
            throw SourceFailure.unavailable("SourceUnavailable", "cannot prepare the ssh session for " + where + ": "
                    + e.getMessage(), e);
        } finally {
            if (ssh != null) {
                ssh.close();
            }
        }
    }

    /** Bytes of the on-disk cache (for benchmarks and tests). */
    public long cachedBytes() {
        return cache.totalBytes();
    }
}
