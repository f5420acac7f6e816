package dev.pymode.operator.source.oci;

import dev.pymode.operator.source.SourceFailure;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code host[:port]/repository:tag} or {@code host[:port]/repository@sha256:...}, as the CRD admits them.
 *
 * @param host       registry host[:port]
 * @param repository repository path
 * @param reference  the tag, or the {@code sha256:...} digest
 */
public record OciReference(String host, String repository, String reference) {

    private static final Pattern REF = Pattern.compile(
            "^([a-zA-Z0-9.-]+(?::[0-9]+)?)/([a-z0-9._/-]+)(?::([A-Za-z0-9_.-]+)|@(sha256:[a-f0-9]{64}))$");

    public static OciReference parse(String ref) throws SourceFailure {
        Matcher m = REF.matcher(ref == null ? "" : ref);
        if (!m.matches()) {
            throw SourceFailure.terminal("InvalidReference", "oci ref '" + ref + "' must look like "
                    + "registry/repository:tag or registry/repository@sha256:<64 hex>");
        }
        return new OciReference(m.group(1), m.group(2), m.group(3) != null ? m.group(3) : m.group(4));
    }

    public boolean isDigest() {
        return reference.startsWith("sha256:");
    }

    /** As written: {@code host/repository:tag} or {@code host/repository@sha256:...}. */
    @Override
    public String toString() {
        return host + "/" + repository + (isDigest() ? "@" : ":") + reference;
    }

    /** Registries on loopback (tests, the embedded default) speak plain http. */
    public boolean isLoopback() {
        String name = host.replaceFirst(":[0-9]+$", "");
        return name.equals("localhost") || name.startsWith("127.");
    }
}
