package dev.pymode.operator.source.oci;

import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pymode.operator.oci.OciRegistry;
import dev.pymode.operator.oci.RegistryAuthenticationException;
import dev.pymode.operator.oci.RegistryUnavailableException;
import dev.pymode.operator.source.Fingerprints;
import dev.pymode.operator.source.ProjectSource;
import dev.pymode.operator.source.ProjectTreeBuilder;
import dev.pymode.operator.source.RecentAnswers;
import dev.pymode.operator.source.ResolvedTrees;
import dev.pymode.operator.source.SourceFailure;
import dev.pymode.operator.source.SourceLimits;

/**
 * Fetches an OCI source through {@link OciRegistry}: the tag is resolved to a manifest digest (shared between
 * workers for a few seconds), and the project is read from the layers once per digest. Two layouts are read,
 * also mixed: layers titled with a relative path are files ({@code oras push}), tar+gzip layers are unpacked at
 * the project root ({@code flux push artifact}, {@code oras push} of a directory, or a tarball pushed with the
 * OCI layer media type).
 */
public class OciSourceFetcher {

    /** Media types of layers that hold a tar+gzip archive of the project. */
    public static final Set<String> ARCHIVE_TYPES = Set.of(
            "application/vnd.cncf.flux.content.v1.tar+gzip",
            "application/vnd.oci.image.layer.v1.tar+gzip",
            "application/vnd.docker.image.rootfs.diff.tar.gzip");

    /** What a fetch needs from the worker's spec (and its pull Secret). */
    public record Request(String ref, Optional<DockerConfig.Credentials> credentials, Duration interval) {
    }

    private final ObjectMapper mapper;
    private final Duration remoteCacheTtl;
    private final Set<String> plainHttpHosts;
    private final HttpClient http = OciRegistry.newHttpClient();
    private final RecentAnswers<OciRegistry.Artifact> manifests;
    private final ResolvedTrees trees;
    private final Map<String, OciRegistry> registries = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, OciRegistry> eldest) {
            return size() > 64;
        }
    };

    /** @param plainHttpHosts registry hosts spoken to over http besides loopback ones (the operator's own, if so configured) */
    public OciSourceFetcher(ObjectMapper mapper, Duration remoteCacheTtl, Set<String> plainHttpHosts, Clock clock) {
        this.mapper = mapper;
        this.remoteCacheTtl = remoteCacheTtl;
        this.plainHttpHosts = plainHttpHosts;
        this.manifests = new RecentAnswers<>(clock, 512);
        this.trees = new ResolvedTrees(64, 16L * SourceLimits.MAX_BYTES);
    }

    public ProjectSource fetch(Request request) throws SourceFailure {
        OciReference ref = OciReference.parse(request.ref());
        OciRegistry registry = registry(ref, request.credentials());
        String fingerprint = request.credentials().map(c -> Fingerprints.of(c.username(), c.password()))
                .orElse("anonymous");
        Duration maxAge = request.interval().compareTo(remoteCacheTtl) < 0 ? request.interval() : remoteCacheTtl;
        // Asked with this worker's credentials even for a digest, before anything cached is handed out.
        OciRegistry.Artifact artifact = manifests.get(ref + "\n" + fingerprint, maxAge, () -> lookup(registry, ref));
        String identity = ref.host() + "/" + ref.repository() + "@" + artifact.digest();
        SortedMap<String, byte[]> files = trees.get(identity).orElse(null);
        if (files == null) {
            files = read(registry, ref, artifact);
            trees.put(identity, files);
        }
        return new ProjectSource(files, "oci:" + ref + (ref.isDigest() ? "" : "@" + artifact.digest()));
    }

    private OciRegistry.Artifact lookup(OciRegistry registry, OciReference ref) throws SourceFailure {
        Optional<OciRegistry.Artifact> found;
        try {
            found = registry.find(ref.repository(), ref.reference());
        } catch (RuntimeException e) {
            throw failure(e, ref);
        }
        OciRegistry.Artifact artifact = found.orElseThrow(() -> SourceFailure.terminal("ArtifactNotFound",
                "manifest " + ref + " not found: registry " + ref.host() + " has no such repository, tag or digest"));
        if (artifact.isIndex()) {
            throw SourceFailure.terminal("UnsupportedArtifact", ref + " is an image index (" + artifact.mediaType()
                    + "); point the ref at a single artifact manifest");
        }
        return artifact;
    }

    private SortedMap<String, byte[]> read(OciRegistry registry, OciReference ref, OciRegistry.Artifact artifact)
            throws SourceFailure {
        String origin = "oci " + ref + (ref.isDigest() ? "" : " (" + artifact.digest() + ")");
        if (artifact.layers().isEmpty()) {
            throw SourceFailure.terminal("EmptySource", origin + " has no layers");
        }
        ProjectTreeBuilder project = new ProjectTreeBuilder(origin);
        for (OciRegistry.Layer layer : artifact.layers()) {
            boolean archive = ARCHIVE_TYPES.contains(layer.mediaType());
            String path = null;
            if (!archive) {
                if (layer.title().isEmpty()) {
                    throw SourceFailure.terminal("UnsupportedArtifact", origin + ": layer " + layer.digest() + " ("
                            + layer.mediaType() + ") has no org.opencontainers.image.title annotation naming its file, "
                            + "and is not a tar+gzip archive (" + String.join(", ", ARCHIVE_TYPES) + ")");
                }
                path = project.normalize(layer.title());
                if (path == null) {
                    continue;
                }
                project.reserve(layer.size());
            }
            byte[] blob;
            try {
                // An archive may compress well, so only its unpacked size is held to the limit; its blob may be larger.
                blob = registry.fetchBlob(ref.repository(), layer.digest(), archive ? 4 * SourceLimits.MAX_BYTES
                        : SourceLimits.MAX_BYTES);
            } catch (OciRegistry.BlobTooLargeException e) {
                throw SourceFailure.terminal(SourceLimits.TOO_LARGE, origin + ": layer " + layer.digest() + " is larger "
                        + "than a project may be (at most " + SourceLimits.MAX_BYTES + " bytes in "
                        + SourceLimits.MAX_FILES + " files, what the build's ConfigMap holds)");
            } catch (RuntimeException e) {
                throw failure(e, ref);
            }
            if (archive) {
                TarLayer.read(blob, project, origin + " layer " + layer.digest());
            } else {
                project.addFile(path, blob);
            }
        }
        return new TreeMap<>(project.build());
    }

    private static SourceFailure failure(RuntimeException e, OciReference ref) {
        if (e instanceof RegistryAuthenticationException auth) {
            return SourceFailure.terminal("AuthenticationFailed", "pulling " + ref + ": " + auth.getMessage()
                    + " (check pullSecretRef)");
        }
        if (e instanceof RegistryUnavailableException) {
            return SourceFailure.unavailable("RegistryUnavailable", "pulling " + ref + ": " + e.getMessage(), e);
        }
        throw e;
    }

    private OciRegistry registry(OciReference ref, Optional<DockerConfig.Credentials> credentials) {
        boolean plain = ref.isLoopback() || plainHttpHosts.contains(ref.host());
        String apiHost = ref.host().equals("docker.io") ? "registry-1.docker.io" : ref.host();
        String key = apiHost + "\n" + plain + "\n" + credentials.map(c -> Fingerprints.of(c.username(),
                c.password())).orElse("anonymous");
        synchronized (registries) {
            return registries.computeIfAbsent(key, k -> new OciRegistry(apiHost, plain,
                    credentials.map(DockerConfig.Credentials::username).orElse(null),
                    credentials.map(DockerConfig.Credentials::password).orElse(null), mapper, http));
        }
    }
}
