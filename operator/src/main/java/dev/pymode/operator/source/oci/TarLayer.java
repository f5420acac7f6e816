package dev.pymode.operator.source.oci;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;

import dev.pymode.operator.source.ProjectTreeBuilder;
import dev.pymode.operator.source.SourceFailure;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Reads a project from a tar+gzip layer into a {@link ProjectTreeBuilder}: regular files, directories, and
 * links that stay inside the project. Device files, FIFOs, absolute or {@code ..} paths and links leaving the
 * project are refused; decompression stops at the size limit (no gzip bombs).
 */
final class TarLayer {

    private TarLayer() {
    }

    static void read(byte[] gzipped, ProjectTreeBuilder project, String origin) throws SourceFailure {
        try (InputStream gzip = new GZIPInputStream(new ByteArrayInputStream(gzipped));
             TarArchiveInputStream tar = new TarArchiveInputStream(gzip)) {
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                if (entry.isPaxHeader() || entry.isGlobalPaxHeader()) {
                    continue;
                }
                String path = project.normalize(entry.getName());
                if (path == null || entry.isDirectory()) {
                    continue;
                }
                if (entry.isCharacterDevice() || entry.isBlockDevice() || entry.isFIFO()) {
                    throw SourceFailure.terminal("InvalidSourcePath", origin + ": " + path + " is a "
                            + kind(entry) + "; only files, directories and links belong in a project archive");
                }
                if (entry.isSymbolicLink()) {
                    project.addSymlink(path, entry.getLinkName());
                } else if (entry.isLink()) {
                    String target = project.normalize(entry.getLinkName());
                    if (target == null) {
                        throw SourceFailure.terminal("UnsafeLink", origin + ": hard link " + path + " -> "
                                + entry.getLinkName() + " does not point at a file of the project");
                    }
                    project.addHardlink(path, target);
                } else if (entry.isFile()) {
                    project.reserve(entry.getSize());
                    byte[] content = tar.readNBytes((int) entry.getSize());
                    project.addFile(path, content);
                } else {
                    throw SourceFailure.terminal("InvalidSourcePath", origin + ": " + path + " is a "
                            + kind(entry) + "; only files, directories and links belong in a project archive");
                }
            }
        } catch (IOException | IllegalArgumentException e) {
            throw SourceFailure.terminal("InvalidArchive", origin + " is not a readable tar+gzip archive ("
                    + e.getClass().getSimpleName() + ": " + e.getMessage() + ")");
        }
    }

    private static String kind(TarArchiveEntry entry) {
        if (entry.isCharacterDevice()) {
            return "character device";
        }
        if (entry.isBlockDevice()) {
            return "block device";
        }
        if (entry.isFIFO()) {
            return "FIFO";
        }
        return "special entry (type '" + (char) entry.getLinkFlag() + "')";
    }
}
