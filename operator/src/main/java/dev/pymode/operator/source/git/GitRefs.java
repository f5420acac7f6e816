package dev.pymode.operator.source.git;

import dev.pymode.operator.source.SourceFailure;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Turns a worker's {@code ref} into a commit, from the refs a server advertises (ls-remote). A full SHA is
 * taken as it is; a name is looked up the way git does: {@code refs/...} exactly, else a tag, else a branch.
 */
public final class GitRefs {

    private static final Pattern FULL_SHA = Pattern.compile("^([0-9a-fA-F]{40}|[0-9a-fA-F]{64})$");
    private static final Pattern SHORT_SHA = Pattern.compile("^[0-9a-fA-F]{4,39}$");
    private static final int LISTED = 10;

    private GitRefs() {
    }

    /**
     * @param commit the commit SHA (lower case)
     * @param name   the full ref it came from, or null for a SHA given directly
     */
    public record Resolved(String commit, String name) {
    }

    public static boolean isCommitSha(String ref) {
        return FULL_SHA.matcher(ref).matches();
    }

    /** Whether {@code ref} can only be answered by listing every ref (not just branches and tags). */
    public static boolean needsAllRefs(String ref) {
        return ref.startsWith("refs/") && !ref.startsWith("refs/heads/") && !ref.startsWith("refs/tags/")
                || ref.equals("HEAD");
    }

    /**
     * @param advertised full ref name to the commit it points at (tags already peeled)
     * @param where      names the repository in the message
     */
    public static Resolved resolve(String ref, Map<String, String> advertised, String where) throws SourceFailure {
        if (isCommitSha(ref)) {
            return new Resolved(ref.toLowerCase(java.util.Locale.ROOT), null);
        }
        for (String candidate : candidates(ref)) {
            String commit = advertised.get(candidate);
            if (commit != null) {
                return new Resolved(commit, candidate);
            }
        }
        List<String> branches = names(advertised, "refs/heads/");
        List<String> tags = names(advertised, "refs/tags/");
        String hint = SHORT_SHA.matcher(ref).matches()
                ? "; abbreviated commit SHAs are not looked up, give all 40 characters" : "";
        throw SourceFailure.terminal("GitRefNotFound", "ref '" + ref + "' is neither a branch nor a tag of " + where
                + " (branches: " + listing(branches) + "; tags: " + listing(tags) + ")" + hint);
    }

    private static List<String> candidates(String ref) {
        if (ref.startsWith("refs/") || ref.equals("HEAD")) {
            return List.of(ref);
        }
        return List.of("refs/tags/" + ref, "refs/heads/" + ref);
    }

    private static List<String> names(Map<String, String> advertised, String prefix) {
        return advertised.keySet().stream().filter(n -> n.startsWith(prefix)).map(n -> n.substring(prefix.length()))
                .sorted().toList();
    }

    private static String listing(List<String> names) {
        if (names.isEmpty()) {
            return "none";
        }
        String shown = String.join(", ", names.subList(0, Math.min(LISTED, names.size())));
        return names.size() > LISTED ? shown + ", … " + (names.size() - LISTED) + " more" : shown;
    }
}
