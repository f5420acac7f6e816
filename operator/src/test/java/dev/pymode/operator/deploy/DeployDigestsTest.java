package dev.pymode.operator.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import dev.pymode.cloudflare.QueueConsumer;
import dev.pymode.operator.bindings.BindingKinds;
import dev.pymode.operator.workflow.ScheduleEntry;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class DeployDigestsTest {

    private static final BindingKinds.Resolved NONE = BindingKinds.Resolved.none();

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
        String base = DeployDigests.inputs(1L, "sha256:aa", NONE, "s", List.of(), List.of());
        assertThat(DeployDigests.inputs(1L, "sha256:aa", NONE, "s", List.of(), List.of())).isEqualTo(base);
        assertThat(DeployDigests.inputs(2L, "sha256:aa", NONE, "s", List.of(), List.of())).isNotEqualTo(base);
        assertThat(DeployDigests.inputs(1L, "sha256:ab", NONE, "s", List.of(), List.of())).isNotEqualTo(base);
        assertThat(DeployDigests.inputs(1L, "sha256:aa", NONE, "t", List.of(), List.of())).isNotEqualTo(base);
        var kv = new BindingKinds.Resolved(Map.of("kv", Map.of("CACHE", "id-1")));
        var kvMoved = new BindingKinds.Resolved(Map.of("kv", Map.of("CACHE", "id-2")));
        assertThat(DeployDigests.inputs(1L, "sha256:aa", kv, "s", List.of(), List.of())).isNotEqualTo(base)
                .isNotEqualTo(DeployDigests.inputs(1L, "sha256:aa", kvMoved, "s", List.of(), List.of()));
        var nightly = new ScheduleEntry("0 3 * * *", "report", "ns/wf", null, null, null);
        var hourly = new ScheduleEntry("0 * * * *", "report", "ns/wf", null, null, null);
        assertThat(DeployDigests.inputs(1L, "sha256:aa", NONE, "s", List.of(nightly), List.of()))
                .isNotEqualTo(base).isNotEqualTo(DeployDigests.inputs(1L, "sha256:aa", NONE, "s", List.of(hourly), List.of()));
    }

    @Test
    void queueAndServiceBindingsAndConsumersAreInputsOnlyForWorkersThatUseThem() {
        String base = DeployDigests.inputs(1L, "sha256:aa", NONE, "s", List.of(), List.of());
        // a registered kind the worker does not use adds nothing: adding kinds leaves every digest as it was
        var emptyQueues = new BindingKinds.Resolved(Map.of("queue", Map.of(), "service", Map.of()));
        assertThat(DeployDigests.inputs(1L, "sha256:aa", emptyQueues, "s", List.of(), List.of())).isEqualTo(base);
        var jobs = new BindingKinds.Resolved(Map.of("queue", Map.of("JOBS", "jobs")));
        var other = new BindingKinds.Resolved(Map.of("queue", Map.of("JOBS", "other")));
        assertThat(DeployDigests.inputs(1L, "sha256:aa", jobs, "s", List.of(), List.of())).isNotEqualTo(base)
                .isNotEqualTo(DeployDigests.inputs(1L, "sha256:aa", other, "s", List.of(), List.of()));
        var consumer = new QueueConsumer(null, "w", 10, 3, null, null, "dlq");
        var bigger = new QueueConsumer(null, "w", 20, 3, null, null, "dlq");
        String consuming = DeployDigests.inputs(1L, "sha256:aa", NONE, "s", List.of(), List.of(consumer));
        assertThat(consuming).isNotEqualTo(base)
                .isNotEqualTo(DeployDigests.inputs(1L, "sha256:aa", NONE, "s", List.of(), List.of(bigger)));
    }

    @Test
    void aWorkerWithoutTheNewKindsKeepsTheDigestItHadBeforeTheRegistry() throws Exception {
        // the formula before issue #18 item 4: kv, r2 and d1 maps always, then secrets and schedules
        var kv = new BindingKinds.Resolved(Map.of("kv", Map.of("CACHE", "id-1"), "d1", Map.of("DB", "uuid-1")));
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        for (String part : List.of("7", "sha256:aa", "{CACHE=id-1}", "{}", "{DB=uuid-1}", "s", "[]")) {
            byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
            sha.update(ByteBuffer.allocate(4 + bytes.length).putInt(bytes.length).put(bytes).array());
        }
        assertThat(DeployDigests.inputs(7L, "sha256:aa", kv, "s", List.of(), List.of()))
                .isEqualTo("sha256:" + HexFormat.of().formatHex(sha.digest()));
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
