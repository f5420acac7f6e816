package dev.pymode.operator.source.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

import dev.pymode.operator.source.ProjectTreeBuilder;
import dev.pymode.operator.source.SourceFailure;
import dev.pymode.operator.source.SourceLimits;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Project archives: what is taken, and every unsafe entry refused with its own message. */
@Tag("unit")
class TarLayerTest {

    /** A tar+gzip built entry by entry: name, type flag, content or link target. */
    private static final class Tar {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final TarArchiveOutputStream tar;

        Tar() throws IOException {
            tar = new TarArchiveOutputStream(new GZIPOutputStream(bytes));
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        }

        Tar file(String name, String content) throws IOException {
            byte[] data = content.getBytes(StandardCharsets.UTF_8);
            TarArchiveEntry entry = new TarArchiveEntry(name, true); // keep a leading '/', as a hostile archive would
            entry.setSize(data.length);
            tar.putArchiveEntry(entry);
            tar.write(data);
            tar.closeArchiveEntry();
            return this;
        }

        Tar zeros(String name, int size) throws IOException {
            TarArchiveEntry entry = new TarArchiveEntry(name);
            entry.setSize(size);
            tar.putArchiveEntry(entry);
            tar.write(new byte[size]);
            tar.closeArchiveEntry();
            return this;
        }

        Tar dir(String name) throws IOException {
            tar.putArchiveEntry(new TarArchiveEntry(name.endsWith("/") ? name : name + "/"));
            tar.closeArchiveEntry();
            return this;
        }

        Tar link(String name, String target, byte type) throws IOException {
            TarArchiveEntry entry = new TarArchiveEntry(name, type);
            entry.setLinkName(target);
            tar.putArchiveEntry(entry);
            tar.closeArchiveEntry();
            return this;
        }

        Tar special(String name, byte type) throws IOException {
            tar.putArchiveEntry(new TarArchiveEntry(name, type));
            tar.closeArchiveEntry();
            return this;
        }

        byte[] bytes() throws IOException {
            tar.close();
            return bytes.toByteArray();
        }
    }

    private static Map<String, byte[]> read(Tar tar) throws Exception {
        ProjectTreeBuilder project = new ProjectTreeBuilder("oci r/p:1");
        TarLayer.read(tar.bytes(), project, "oci r/p:1");
        return project.build();
    }

    private static SourceFailure refused(Tar tar) {
        try {
            read(tar);
        } catch (SourceFailure e) {
            return e;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("expected the archive to be refused");
    }

    @Test
    void filesDirectoriesAndInnerLinksAreTaken() throws Exception {
        Map<String, byte[]> files = read(new Tar().dir("./").dir("./src").file("./src/entry.py", "x = 1")
                .file("pyproject.toml", "[project]").link("src/alias.py", "entry.py", TarConstants.LF_SYMLINK)
                .link("copy.py", "src/entry.py", TarConstants.LF_LINK).dir(".git").file(".git/config", "x")
                .file("a/" + "b".repeat(120) + ".py", "long"));
        assertThat(files).containsOnlyKeys("src/entry.py", "pyproject.toml", "src/alias.py", "copy.py",
                "a/" + "b".repeat(120) + ".py");
        assertThat(new String(files.get("src/alias.py"), StandardCharsets.UTF_8)).isEqualTo("x = 1");
        assertThat(new String(files.get("copy.py"), StandardCharsets.UTF_8)).isEqualTo("x = 1");
    }

    @Test
    void pathsLeavingTheProjectAreRefused() throws Exception {
        assertThat(refused(new Tar().file("../evil.py", "x")).getMessage()).contains("unsafe path '../evil.py'");
        assertThat(refused(new Tar().file("/etc/cron.d/x", "x")).reason()).isEqualTo("InvalidSourcePath");
        assertThat(refused(new Tar().file("src/../../x", "x")).reason()).isEqualTo("InvalidSourcePath");
    }

    @Test
    void linksLeavingTheProjectAreRefused() throws Exception {
        SourceFailure symlink = refused(new Tar().file("a.py", "1").link("src/x", "../../etc/passwd",
                TarConstants.LF_SYMLINK));
        assertThat(symlink.reason()).isEqualTo("UnsafeLink");
        assertThat(symlink.getMessage()).contains("src/x -> ../../etc/passwd").contains("outside the project");
        assertThat(refused(new Tar().link("x", "/etc/passwd", TarConstants.LF_SYMLINK)).reason()).isEqualTo("UnsafeLink");
        assertThat(refused(new Tar().link("x", "../outside", TarConstants.LF_LINK)).getMessage())
                .contains("unsafe path '../outside'");
        assertThat(refused(new Tar().link("x", "missing.py", TarConstants.LF_SYMLINK)).getMessage())
                .contains("not a file in the project");
        assertThat(refused(new Tar().link("a", "b", TarConstants.LF_SYMLINK).link("b", "a", TarConstants.LF_SYMLINK))
                .getMessage()).contains("link loop");
    }

    @Test
    void devicesAndFifosAreRefused() throws Exception {
        assertThat(refused(new Tar().special("dev/null", TarConstants.LF_CHR)).getMessage())
                .contains("dev/null is a character device");
        assertThat(refused(new Tar().special("pipe", TarConstants.LF_FIFO)).getMessage()).contains("FIFO");
        assertThat(refused(new Tar().special("disk", TarConstants.LF_BLK)).getMessage()).contains("block device");
    }

    @Test
    void unpackingStopsAtTheSizeLimitWhateverTheCompressedSize() throws Exception {
        Tar bomb = new Tar().zeros("zeros.bin", (int) SourceLimits.MAX_BYTES + 1);
        byte[] compressed = bomb.bytes();
        assertThat(compressed.length).isLessThan(10_000);
        ProjectTreeBuilder project = new ProjectTreeBuilder("oci r/p:1");
        assertThatThrownBy(() -> TarLayer.read(compressed, project, "oci r/p:1"))
                .isInstanceOf(SourceFailure.class).hasMessageContaining("more than " + SourceLimits.MAX_BYTES + " bytes");
    }

    @Test
    void tooManyFilesAreRefused() throws Exception {
        Tar tar = new Tar();
        for (int i = 0; i <= SourceLimits.MAX_FILES; i++) {
            tar.file("f" + i + ".py", "");
        }
        SourceFailure failure = refused(tar);
        assertThat(failure.reason()).isEqualTo("SourceTooLarge");
        assertThat(failure.getMessage()).contains("more than " + SourceLimits.MAX_FILES + " files");
    }

    @Test
    void garbageIsNotAnArchive() {
        assertThatThrownBy(() -> TarLayer.read("not gzip".getBytes(StandardCharsets.UTF_8),
                new ProjectTreeBuilder("o"), "oci r/p:1 layer sha256:ab"))
                .isInstanceOf(SourceFailure.class).hasMessageContaining("is not a readable tar+gzip archive");
    }
}
