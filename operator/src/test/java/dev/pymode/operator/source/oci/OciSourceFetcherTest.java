package dev.pymode.operator.source.oci;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pymode.devenv.LocalRegistry;
import dev.pymode.operator.source.ProjectSource;
import dev.pymode.operator.source.SourceFailure;
import dev.pymode.operator.source.SourceLimits;
import dev.pymode.operator.support.OciPush;
import dev.pymode.testkit.ManualClock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * OCI sources from a real registry (Debian's docker-registry on loopback): oras' one-layer-per-file layout,
 * Flux's tar+gzip artifact, tag → digest resolution, and the refusals. Tagged with the tier that provisions
 * the registry (hack/provision-oci-tools.sh).
 */
@Tag("apiserver")
class OciSourceFetcherTest {

    private static LocalRegistry registry;

    @TempDir
    Path tmp;

    private ManualClock clock;
    private OciSourceFetcher fetcher;

    @BeforeAll
    static void startRegistry(@TempDir Path dir) throws Exception {
        registry = new LocalRegistry(dir.resolve("registry")).start();
    }

    @AfterAll
    static void stopRegistry() throws Exception {
        registry.close();
    }

    @BeforeEach
    void setUp() {
        clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
        fetcher = new OciSourceFetcher(new ObjectMapper(), Duration.ofSeconds(15), Set.of(), clock);
    }

    private ProjectSource fetch(String ref) throws SourceFailure {
        return fetcher.fetch(new OciSourceFetcher.Request(ref, Optional.empty(), Duration.ofMinutes(5)));
    }

    private SourceFailure failure(String ref) {
        try {
            fetch(ref);
        } catch (SourceFailure e) {
            return e;
        }
        throw new AssertionError("expected " + ref + " to fail");
    }

    private static Map<String, String> project(String greeting) {
        Map<String, String> files = new LinkedHashMap<>();
        files.put("src/entry.py", "def on_fetch(request, env):\n    return '" + greeting + "'\n");
        files.put("pyproject.toml", "[project]\nname = 'x'\n");
        return files;
    }

    @Test
    void orasFilesResolveByTagToTheManifestDigest() throws Exception {
        String ref = registry.host() + "/apps/files:v1";
        OciPush.orasFiles(ref, tmp.resolve("push"), project("hi"));

        ProjectSource source = fetch(ref);
        assertThat(source.files()).containsOnlyKeys("src/entry.py", "pyproject.toml");
        assertThat(new String(source.files().get("src/entry.py"), StandardCharsets.UTF_8)).contains("'hi'");
        assertThat(source.revision()).matches("oci:" + java.util.regex.Pattern.quote(ref) + "@sha256:[a-f0-9]{64}");
        String digest = source.revision().substring(source.revision().lastIndexOf('@') + 1);
        assertThat(fetch(registry.host() + "/apps/files@" + digest).digest()).isEqualTo(source.digest());
    }

    @Test
    void fluxArtifactsAreUnpackedAndEqualContentGivesEqualDigests() throws Exception {
        OciPush.orasFiles(registry.host() + "/apps/same:files", tmp.resolve("push"), project("same"));
        OciPush.flux(registry.host(), "apps/same", "flux", OciPush.tarGz(project("same")));

        ProjectSource flux = fetch(registry.host() + "/apps/same:flux");
        assertThat(flux.files()).containsOnlyKeys("src/entry.py", "pyproject.toml");
        assertThat(flux.digest()).isEqualTo(fetch(registry.host() + "/apps/same:files").digest());
        ProjectSource inline = new ProjectSource(Map.of(
                "src/entry.py", project("same").get("src/entry.py").getBytes(StandardCharsets.UTF_8),
                "pyproject.toml", project("same").get("pyproject.toml").getBytes(StandardCharsets.UTF_8)), "inline");
        assertThat(flux.digest()).isEqualTo(inline.digest());
    }

    @Test
    void aTarballPushedWithTheOciLayerTypeIsUnpackedToo() throws Exception {
        OciPush.manifest(registry.host(), "apps/tarball", "v1", "application/vnd.oci.empty.v1+json",
                List.of(new OciPush.Layer("application/vnd.oci.image.layer.v1.tar+gzip",
                        OciPush.tarGz(Map.of("./src/entry.py", "x = 1")),
                        Map.of("org.opencontainers.image.title", "project.tar.gz"))), Map.of());
        assertThat(fetch(registry.host() + "/apps/tarball:v1").files()).containsOnlyKeys("src/entry.py");
    }

    @Test
    void aMovedTagIsSeenAfterTheRememberedAnswerExpires() throws Exception {
        String ref = registry.host() + "/apps/moving:latest";
        OciPush.orasFiles(ref, tmp.resolve("one"), project("one"));
        ProjectSource first = fetch(ref);
        OciPush.orasFiles(ref, tmp.resolve("two"), project("two"));

        assertThat(fetch(ref).revision()).as("within the TTL").isEqualTo(first.revision());
        clock.advance(Duration.ofSeconds(16));
        ProjectSource second = fetch(ref);
        assertThat(second.revision()).isNotEqualTo(first.revision());
        assertThat(second.digest()).isNotEqualTo(first.digest());
    }

    @Test
    void unknownTagsAndRepositoriesNameTheRef() throws Exception {
        OciPush.orasFiles(registry.host() + "/apps/known:v1", tmp.resolve("push"), project("x"));
        SourceFailure tag = failure(registry.host() + "/apps/known:v2");
        assertThat(tag.reason()).isEqualTo("ArtifactNotFound");
        assertThat(tag.kind()).isEqualTo(SourceFailure.Kind.TERMINAL);
        assertThat(tag.getMessage()).contains("manifest " + registry.host() + "/apps/known:v2 not found");
        assertThat(failure(registry.host() + "/apps/never:v1").reason()).isEqualTo("ArtifactNotFound");
    }

    @Test
    void anUnreachableRegistryIsTransient() {
        SourceFailure failure = failure("127.0.0.1:1/apps/x:v1");
        assertThat(failure.reason()).isEqualTo("RegistryUnavailable");
        assertThat(failure.kind()).isEqualTo(SourceFailure.Kind.TRANSIENT);
        assertThat(failure.getMessage()).contains("127.0.0.1:1/apps/x:v1").contains("unreachable");
    }

    @Test
    void indexesUntitledFilesAndHostileArchivesAreRefused() throws Exception {
        String manifest = OciPush.manifest(registry.host(), "apps/odd", "untitled", "application/vnd.oci.empty.v1+json",
                List.of(new OciPush.Layer("application/octet-stream", "x".getBytes(StandardCharsets.UTF_8), Map.of())),
                Map.of());
        assertThat(failure(registry.host() + "/apps/odd:untitled").getMessage())
                .contains("has no org.opencontainers.image.title annotation");
        OciPush.index(registry.host(), "apps/odd", "index", manifest, 300);
        assertThat(failure(registry.host() + "/apps/odd:index").getMessage()).contains("is an image index");

        OciPush.flux(registry.host(), "apps/odd", "escape", OciPush.tarGz(Map.of("../../etc/x", "boom")));
        SourceFailure escape = failure(registry.host() + "/apps/odd:escape");
        assertThat(escape.reason()).isEqualTo("InvalidSourcePath");
        assertThat(escape.getMessage()).contains("'../../etc/x'");

        OciPush.manifest(registry.host(), "apps/odd", "title-escape", "application/vnd.oci.empty.v1+json",
                List.of(new OciPush.Layer("application/vnd.oci.image.layer.v1.tar", "x".getBytes(StandardCharsets.UTF_8),
                        Map.of("org.opencontainers.image.title", "../outside.py"))), Map.of());
        assertThat(failure(registry.host() + "/apps/odd:title-escape").reason()).isEqualTo("InvalidSourcePath");
    }

    @Test
    void tooLargeFileLayersAreRefusedBeforeDownloading() throws Exception {
        byte[] big = new byte[(int) SourceLimits.MAX_BYTES + 1];
        OciPush.manifest(registry.host(), "apps/big", "v1", "application/vnd.oci.empty.v1+json",
                List.of(new OciPush.Layer("application/octet-stream", big,
                        Map.of("org.opencontainers.image.title", "data.bin"))), Map.of());
        SourceFailure failure = failure(registry.host() + "/apps/big:v1");
        assertThat(failure.reason()).isEqualTo("SourceTooLarge");
        assertThat(failure.getMessage()).contains(Long.toString(SourceLimits.MAX_BYTES));
    }
}
