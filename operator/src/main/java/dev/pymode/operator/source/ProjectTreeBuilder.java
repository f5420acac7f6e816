package dev.pymode.operator.source;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Collects a project's files from an untrusted tree (a git commit, a tar archive) and checks every path and
 * link on the way: paths must be relative without {@code ..}, a link must point at a file inside the project
 * (its content is copied, since the build's ConfigMap has no links), and the total must fit
 * {@link SourceLimits}. Anything under a {@code .git} directory is left out.
 */
public final class ProjectTreeBuilder {

    private static final int MAX_LINK_HOPS = 20;

    private final String origin;
    private final Map<String, byte[]> files = new TreeMap<>();
    /** Symbolic links: path to target, relative to the link's directory. */
    private final Map<String, String> symlinks = new LinkedHashMap<>();
    /** Hard links (tar): path to target, relative to the archive's root. */
    private final Map<String, String> hardlinks = new LinkedHashMap<>();
    private long bytes;

    /** @param origin names the source in messages, e.g. {@code git https://host/repo@main (1a2b3c4)} */
    public ProjectTreeBuilder(String origin) {
        this.origin = origin;
    }

    /**
     * Normalises an entry name ({@code ./src/x.py} → {@code src/x.py}); returns null for entries that are not part of
     * the project ({@code .git} contents, the root itself).
     *
     * @throws SourceFailure for absolute paths, {@code ..} segments and backslashes
     */
    public String normalize(String name) throws SourceFailure {
        String path = name;
        while (path.startsWith("./")) {
            path = path.substring(2);
        }
        if (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        if (path.isEmpty() || path.equals(".")) {
            return null;
        }
        if (!ProjectPaths.isSafeRelative(path) || path.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw SourceFailure.terminal("InvalidSourcePath", origin + " contains the unsafe path '" + printable(name)
                    + "': paths must be relative, without '..', '\\' or control characters");
        }
        for (String segment : path.split("/")) {
            if (segment.equals(".git")) {
                return null;
            }
        }
        return path;
    }

    /** Counts a file of {@code size} bytes against the limits before its content is read. */
    public void reserve(long size) throws SourceFailure {
        SourceLimits.check(origin, bytes + size, files.size() + symlinks.size() + hardlinks.size() + 1);
    }

    public void addFile(String path, byte[] content) throws SourceFailure {
        byte[] replaced = files.get(path); // a later tar entry of the same name wins, as when extracting
        long delta = content.length - (replaced == null ? 0 : replaced.length);
        reserve(delta);
        bytes += delta;
        symlinks.remove(path);
        hardlinks.remove(path);
        files.put(path, content);
    }

    public void addSymlink(String path, String target) throws SourceFailure {
        reserve(0);
        files.remove(path);
        hardlinks.remove(path);
        symlinks.put(path, target);
    }

    public void addHardlink(String path, String target) throws SourceFailure {
        reserve(0);
        files.remove(path);
        symlinks.remove(path);
        hardlinks.put(path, target);
    }

    /** The files, with links replaced by copies of what they point at. */
    public Map<String, byte[]> build() throws SourceFailure {
        Map<String, byte[]> result = new TreeMap<>(files);
        for (var link : hardlinks.entrySet()) {
            String target = normalizeLinkTarget(link.getKey(), link.getValue(), "");
            result.put(link.getKey(), copyOf(link.getKey(), link.getValue(), target));
        }
        for (var link : symlinks.entrySet()) {
            result.put(link.getKey(), resolveSymlink(link.getKey()));
        }
        if (result.isEmpty()) {
            throw SourceFailure.terminal("EmptySource", origin + " has no files");
        }
        return result;
    }

    private byte[] resolveSymlink(String path) throws SourceFailure {
        String current = path;
        Deque<String> seen = new ArrayDeque<>();
        while (symlinks.containsKey(current)) {
            if (seen.contains(current) || seen.size() >= MAX_LINK_HOPS) {
                throw SourceFailure.terminal("UnsafeLink", origin + ": symlink " + path + " is part of a link loop");
            }
            seen.push(current);
            String raw = symlinks.get(current);
            int slash = current.lastIndexOf('/');
            current = normalizeLinkTarget(path, raw, slash < 0 ? "" : current.substring(0, slash));
        }
        if (hardlinks.containsKey(current)) {
            String target = normalizeLinkTarget(current, hardlinks.get(current), "");
            return copyOf(path, current, target);
        }
        return copyOf(path, symlinks.get(path), current);
    }

    /** Resolves {@code raw} against {@code base}; refuses absolute targets and targets outside the project. */
    private String normalizeLinkTarget(String link, String raw, String base) throws SourceFailure {
        if (raw.startsWith("/") || raw.contains("\\") || raw.isEmpty()) {
            throw escapes(link, raw);
        }
        Deque<String> parts = new ArrayDeque<>();
        if (!base.isEmpty()) {
            for (String segment : base.split("/")) {
                parts.addLast(segment);
            }
        }
        for (String segment : raw.split("/")) {
            if (segment.isEmpty() || segment.equals(".")) {
                continue;
            }
            if (segment.equals("..")) {
                if (parts.isEmpty()) {
                    throw escapes(link, raw);
                }
                parts.removeLast();
            } else {
                parts.addLast(segment);
            }
        }
        if (parts.isEmpty()) {
            throw directory(link, raw);
        }
        return String.join("/", parts);
    }

    private byte[] copyOf(String link, String raw, String target) throws SourceFailure {
        byte[] content = files.get(target);
        if (content != null) {
            reserve(content.length);
            bytes += content.length;
            return content;
        }
        String prefix = target + "/";
        boolean isDirectory = files.keySet().stream().anyMatch(p -> p.startsWith(prefix))
                || symlinks.keySet().stream().anyMatch(p -> p.startsWith(prefix));
        if (isDirectory) {
            throw directory(link, raw);
        }
        throw SourceFailure.terminal("UnsafeLink", origin + ": link " + link + " -> " + printable(raw)
                + " points at '" + target + "', which is not a file in the project");
    }

    private SourceFailure escapes(String link, String raw) {
        return SourceFailure.terminal("UnsafeLink", origin + ": link " + link + " -> " + printable(raw)
                + " points outside the project; links must stay inside it");
    }

    private SourceFailure directory(String link, String raw) {
        return SourceFailure.terminal("UnsafeLink", origin + ": link " + link + " -> " + printable(raw)
                + " points at a directory; only links to files are followed");
    }

    private static String printable(String text) {
        StringBuilder out = new StringBuilder();
        text.codePoints().limit(200).forEach(c -> out.append(c < 0x20 || c == 0x7f ? "?" : Character.toString(c)));
        return out.toString();
    }
}
