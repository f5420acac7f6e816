package dev.pymode.operator.source.git;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.pymode.operator.source.SourceFailure;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class GitRefsTest {

    private static final String A = "a".repeat(40);
    private static final String B = "b".repeat(40);
    private static final String C = "c".repeat(40);

    private static Map<String, String> advertised() {
        Map<String, String> refs = new LinkedHashMap<>();
        refs.put("refs/heads/main", A);
        refs.put("refs/heads/release", B);
        refs.put("refs/tags/release", C);
        refs.put("refs/tags/v1.0.0", B);
        return refs;
    }

    @Test
    void branchTagAndFullRefNames() throws Exception {
        assertThat(GitRefs.resolve("main", advertised(), "r")).isEqualTo(new GitRefs.Resolved(A, "refs/heads/main"));
        assertThat(GitRefs.resolve("v1.0.0", advertised(), "r").commit()).isEqualTo(B);
        assertThat(GitRefs.resolve("refs/heads/release", advertised(), "r").commit()).isEqualTo(B);
    }

    @Test
    void aNameThatIsBothTagAndBranchMeansTheTagAsInGit() throws Exception {
        assertThat(GitRefs.resolve("release", advertised(), "r")).isEqualTo(new GitRefs.Resolved(C, "refs/tags/release"));
    }

    @Test
    void fullShasAreTakenAsTheyAreLowerCased() throws Exception {
        assertThat(GitRefs.resolve("ABCDEF0123456789ABCDEF0123456789ABCDEF01", Map.of(), "r"))
                .isEqualTo(new GitRefs.Resolved("abcdef0123456789abcdef0123456789abcdef01", null));
        assertThat(GitRefs.isCommitSha("f".repeat(64))).isTrue();
        assertThat(GitRefs.isCommitSha("f".repeat(39))).isFalse();
    }

    @Test
    void unknownRefsListWhatThereIs() {
        Map<String, String> many = new LinkedHashMap<>(advertised());
        for (int i = 0; i < 15; i++) {
            many.put("refs/heads/feature-" + (char) ('a' + i), A);
        }
        assertThatThrownBy(() -> GitRefs.resolve("nope", many, "https://git.example/r.git"))
                .isInstanceOf(SourceFailure.class)
                .hasMessageContaining("ref 'nope' is neither a branch nor a tag of https://git.example/r.git")
                .hasMessageContaining("… 7 more").hasMessageContaining("tags: release, v1.0.0");
    }

    @Test
    void onlyNonBranchNonTagRefsNeedTheFullListing() {
        assertThat(GitRefs.needsAllRefs("refs/pull/1/head")).isTrue();
        assertThat(GitRefs.needsAllRefs("HEAD")).isTrue();
        assertThat(GitRefs.needsAllRefs("refs/heads/main")).isFalse();
        assertThat(GitRefs.needsAllRefs("main")).isFalse();
    }
}
