package dev.pymode.operator.source.git;

import java.io.IOException;
import java.io.StringReader;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;

import dev.pymode.operator.source.SourceFailure;
import org.apache.sshd.client.config.hosts.KnownHostEntry;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;
import org.eclipse.jgit.transport.CredentialsProvider;
import org.eclipse.jgit.transport.sshd.ServerKeyDatabase;

/**
 * Host-key checking against the known_hosts lines of the worker's Secret, and nothing else: no ~/.ssh, no
 * prompts, no accept-new. A server whose key is not listed (or is listed {@code @revoked}) is refused, and
 * the refusal is remembered so the error can say so.
 */
final class KnownHosts implements ServerKeyDatabase {

    private record Known(KnownHostEntry entry, PublicKey key, boolean revoked) {
    }

    private final List<Known> entries;
    private volatile String refusal;

    private KnownHosts(List<Known> entries) {
        this.entries = entries;
    }

    /** Parses OpenSSH known_hosts text (plain or hashed host names, {@code [host]:port} for other ports). */
    static KnownHosts parse(String text, String where) throws SourceFailure {
        List<Known> known = new ArrayList<>();
        try {
            for (KnownHostEntry entry : KnownHostEntry.readKnownHostEntries(new StringReader(text), true)) {
                String marker = entry.getMarker();
                if (marker != null && !marker.equals("revoked")) {
                    continue; // @cert-authority: host certificates are not used here
                }
                PublicKey key = entry.getKeyEntry().resolvePublicKey(null, java.util.Map.of(),
                        PublicKeyEntryResolver.IGNORING);
                if (key != null) {
                    known.add(new Known(entry, key, "revoked".equals(marker)));
                }
            }
        } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
            throw SourceFailure.terminal("InvalidCredentials", where + " is not in known_hosts format ("
                    + e.getClass().getSimpleName() + "); use the output of ssh-keyscan");
        }
        if (known.isEmpty()) {
            throw SourceFailure.terminal("InvalidCredentials", where + " lists no host key; use the output of "
                    + "ssh-keyscan -p <port> <host>");
        }
        return new KnownHosts(known);
    }

    /** Why the last server key was refused, if it was. */
    String refusal() {
        return refusal;
    }

    @Override
    public List<PublicKey> lookup(String connectAddress, InetSocketAddress remoteAddress, Configuration config) {
        String host = host(connectAddress);
        int port = port(connectAddress, remoteAddress);
        return entries.stream().filter(k -> !k.revoked() && k.entry().isHostMatch(host, port)).map(Known::key).toList();
    }

    @Override
    public boolean accept(String connectAddress, InetSocketAddress remoteAddress, PublicKey serverKey,
                          Configuration config, CredentialsProvider provider) {
        String host = host(connectAddress);
        int port = port(connectAddress, remoteAddress);
        boolean listed = false;
        for (Known known : entries) {
            if (!known.entry().isHostMatch(host, port)) {
                continue;
            }
            if (KeyUtils.compareKeys(known.key(), serverKey)) {
                if (known.revoked()) {
                    refusal = "the host key of " + connectAddress + " is marked @revoked in known_hosts";
                    return false;
                }
                return true;
            }
            listed = true;
        }
        String fingerprint = KeyUtils.getFingerPrint(serverKey);
        refusal = listed
                ? "the host key of " + connectAddress + " (" + fingerprint + ") does not match the one in known_hosts"
                : "known_hosts has no key for " + connectAddress + " (the server offered " + KeyUtils.getKeyType(serverKey)
                        + " " + fingerprint + ")";
        return false;
    }

    /** {@code [host]:port} or {@code host:port} as JGit passes it. */
    private static String host(String connectAddress) {
        String address = connectAddress;
        if (address.startsWith("[")) {
            int end = address.indexOf(']');
            return end > 0 ? address.substring(1, end) : address;
        }
        int colon = address.lastIndexOf(':');
        return colon > 0 && address.indexOf(':') == colon ? address.substring(0, colon) : address;
    }

    private static int port(String connectAddress, InetSocketAddress remoteAddress) {
        int end = connectAddress.lastIndexOf(':');
        if (end > 0 && end > connectAddress.lastIndexOf(']')) {
            try {
                return Integer.parseInt(connectAddress.substring(end + 1));
            } catch (NumberFormatException e) {
                // fall through to the socket's port
            }
        }
        return remoteAddress != null ? remoteAddress.getPort() : 22;
    }
}
