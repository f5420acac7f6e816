package dev.pymode.operator.source;

/**
 * How large a resolved project may be. Every source reaches a builder Job as one ConfigMap (one binaryData key
 * per file), and the API server refuses ConfigMaps whose data exceeds 1 MiB; the request carrying it is base64
 * JSON under etcd's default 1.5 MiB. So a project may hold at most {@link #MAX_BYTES} bytes in at most
 * {@link #MAX_FILES} files, whatever kind of source delivered it.
 */
public final class SourceLimits {

    /** File contents, leaving room within 1 MiB for the keys (f0..f999) and within 1.5 MiB for base64 and metadata. */
    public static final long MAX_BYTES = 1_000_000;

    /** Each file is also one item of the Job's ConfigMap volume, so the count bounds the Job object's size. */
    public static final int MAX_FILES = 1000;

    public static final String TOO_LARGE = "SourceTooLarge";

    private SourceLimits() {
    }

    /** A project of this many bytes and files fits, else the failure says by how much it does not. */
    public static void check(String origin, long bytes, int files) throws SourceFailure {
        if (bytes > MAX_BYTES) {
            throw SourceFailure.terminal(TOO_LARGE, origin + " holds more than " + MAX_BYTES + " bytes of files (at least "
                    + bytes + "); a project must fit into the build's ConfigMap (at most " + MAX_BYTES + " bytes in "
                    + MAX_FILES + " files): point path at the project's directory or leave generated files out");
        }
        if (files > MAX_FILES) {
            throw SourceFailure.terminal(TOO_LARGE, origin + " holds more than " + MAX_FILES + " files; a project must "
                    + "fit into the build's ConfigMap (at most " + MAX_BYTES + " bytes in " + MAX_FILES + " files)");
        }
    }
}
