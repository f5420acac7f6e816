package dev.pymode.operator.deploy;

import java.io.IOException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pymode.operator.oci.OciRegistry;
import dev.pymode.operator.oci.RegistryUnavailableException;

/** Worker bundles fetched from the registry by digest, with a small in-memory LRU (bundles are immutable). */
public class BundleStore {

    /** A bundle's files and its parsed bundle.json. */
    public record Bundle(String digest, Map<String, byte[]> files, JsonNode manifest) {
    }

    private final OciRegistry registry;
    private final ObjectMapper mapper;
    private final Map<String, Bundle> cache;

    public BundleStore(OciRegistry registry, ObjectMapper mapper, int capacity) {
        this.registry = registry;
        this.mapper = mapper;
        this.cache = Collections.synchronizedMap(new LinkedHashMap<>(capacity, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Bundle> eldest) {
                return size() > capacity;
            }
        });
    }

    /** Loads {@code repository@sha256:...} from the registry (or the cache). */
    public Bundle load(String repository, String digest) {
        Bundle cached = cache.get(digest);
        if (cached != null) {
            return cached;
        }
        OciRegistry.Artifact artifact = registry.findByDigest(repository, digest)
                .orElseThrow(() -> new RegistryUnavailableException("bundle " + repository + "@" + digest
                        + " is gone from registry " + registry.host(), null));
        Map<String, byte[]> files = registry.fetchFiles(artifact);
        byte[] manifest = files.get("bundle.json");
        if (manifest == null) {
            throw new IllegalStateException("artifact " + repository + "@" + digest + " has no bundle.json");
        }
        try {
            Bundle bundle = new Bundle(digest, files, mapper.readTree(manifest));
            cache.put(digest, bundle);
            return bundle;
        } catch (IOException e) {
            throw new IllegalStateException("unreadable bundle.json in " + repository + "@" + digest, e);
        }
    }
}
