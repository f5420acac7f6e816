package dev.pymode.operator.cloudflare;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.pymode.operator.workflow.ScheduleEntry;
import org.junit.jupiter.api.Test;

class DeployDigestsTest {

    private static final WorkerUploadFactory.ResolvedResources NONE =
            new WorkerUploadFactory.ResolvedResources(Map.of(), Map.of(), Map.of());

    @Test
    void theSecretsFingerprintFollowsTheValuesButRevealsThemToNoOneWithoutTheToken() {
        String a = DeployDigests.secrets("token-1", Map.of("API_KEY", "hunter2"));
        assertThat(a).startsWith("hmac-sha256:").doesNotContain("hunter2");
        assertThat(DeployDigests.secrets("token-1", Map.of("API_KEY", "hunter2"))).isEqualTo(a);
        assertThat(DeployDigests.secrets("token-1", Map.of("API_KEY", "hunter3"))).isNotEqualTo(a);
        assertThat(DeployDigests.secrets("token-1", Map.of("OTHER", "hunter2"))).isNotEqualTo(a);
        // keyed: the same value under another token gives another fingerprint (no table of guesses works)
        assertThat(DeployDigests.secrets("token-2", Map.of("API_KEY", "hunter2"))).isNotEqualTo(a);
        // framed: moving characters between name and value is a different input
        assertThat(DeployDigests.secrets("t", Map.of("AB", "C"))).isNotEqualTo(DeployDigests.secrets("t", Map.of("A", "BC")));
    }

    @Test
    void theInputsDigestChangesWithEachInput() {
        String base = DeployDigests.inputs(1L, "sha256:aa", NONE, "s", List.of());
        assertThat(DeployDigests.inputs(1L, "sha256:aa", NONE, "s", List.of())).isEqualTo(base);
        assertThat(DeployDigests.inputs(2L, "sha256:aa", NONE, "s", List.of())).isNotEqualTo(base);
        assertThat(DeployDigests.inputs(1L, "sha256:ab", NONE, "s", List.of())).isNotEqualTo(base);
        assertThat(DeployDigests.inputs(1L, "sha256:aa", NONE, "t", List.of())).isNotEqualTo(base);
        var kv = new WorkerUploadFactory.ResolvedResources(Map.of("CACHE", "id-1"), Map.of(), Map.of());
        var kvMoved = new WorkerUploadFactory.ResolvedResources(Map.of("CACHE", "id-2"), Map.of(), Map.of());
        assertThat(DeployDigests.inputs(1L, "sha256:aa", kv, "s", List.of())).isNotEqualTo(base)
                .isNotEqualTo(DeployDigests.inputs(1L, "sha256:aa", kvMoved, "s", List.of()));
        var nightly = new ScheduleEntry("0 3 * * *", "report", "ns/wf", null, null, null);
        var hourly = new ScheduleEntry("0 * * * *", "report", "ns/wf", null, null, null);
        assertThat(DeployDigests.inputs(1L, "sha256:aa", NONE, "s", List.of(nightly)))
                .isNotEqualTo(base).isNotEqualTo(DeployDigests.inputs(1L, "sha256:aa", NONE, "s", List.of(hourly)));
    }

    @Test
    void ourTagReplacesItsPredecessorAndKeepsTheUsersTags() {
        String digest = "sha256:" + "ab".repeat(32);
        assertThat(DeployDigests.tag(digest)).isEqualTo("pymode-upload=" + "ab".repeat(32));
        assertThat(DeployDigests.withTag(List.of("team-a", "pymode-upload=old"), digest))
                .containsExactly("team-a", "pymode-upload=" + "ab".repeat(32));
        assertThat(DeployDigests.withTag(List.of(), digest)).containsExactly(DeployDigests.tag(digest));
    }

    @Test
    void aScriptWithTenTagsOfItsOwnKeepsThemAndGoesUntagged() {
        List<String> users = new ArrayList<>();
        for (int i = 0; i < DeployDigests.MAX_TAGS; i++) {
            users.add("t" + i);
        }
        assertThat(DeployDigests.withTag(users, "sha256:00")).isEqualTo(users);
    }
}
