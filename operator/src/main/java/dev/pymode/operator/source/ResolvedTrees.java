package dev.pymode.operator.source;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;

/**
 * Project trees already read, by an immutable identity (a commit SHA with its path, a manifest digest), so a
 * reconcile that finds the same commit or digest again reads nothing. Bounded in entries and bytes.
 */
public final class ResolvedTrees {

    private final int maxEntries;
    private final long maxBytes;
    private final LinkedHashMap<String, SortedMap<String, byte[]>> trees = new LinkedHashMap<>(16, 0.75f, true);
    private long bytes;

    public ResolvedTrees(int maxEntries, long maxBytes) {
        this.maxEntries = maxEntries;
        this.maxBytes = maxBytes;
    }

    public synchronized Optional<SortedMap<String, byte[]>> get(String identity) {
        return Optional.ofNullable(trees.get(identity));
    }

    public synchronized void put(String identity, SortedMap<String, byte[]> files) {
        SortedMap<String, byte[]> previous = trees.put(identity, files);
        if (previous != null) {
            bytes -= size(previous);
        }
        bytes += size(files);
        var eldest = trees.entrySet().iterator();
        while ((trees.size() > maxEntries || bytes > maxBytes) && trees.size() > 1 && eldest.hasNext()) {
            Map.Entry<String, SortedMap<String, byte[]>> entry = eldest.next();
            if (entry.getKey().equals(identity)) {
                continue;
            }
            bytes -= size(entry.getValue());
            eldest.remove();
        }
    }

    private static long size(SortedMap<String, byte[]> files) {
        return files.values().stream().mapToLong(b -> b.length).sum();
    }
}
