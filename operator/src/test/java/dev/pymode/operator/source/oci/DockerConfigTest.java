package dev.pymode.operator.source.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class DockerConfigTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static String auth(String userPass) {
        return Base64.getEncoder().encodeToString(userPass.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void theEntryForTheHostIsUsedWhateverItsKeyLooksLike() throws Exception {
        String config = """
                {"auths": {
                  "https://index.docker.io/v1/": {"auth": "%s"},
                  "ghcr.io": {"username": "ada", "password": "tok"},
                  "http://127.0.0.1:5000": {"auth": "%s"}
                }}""".formatted(auth("hub:pw"), auth("local:p:w"));
        assertThat(DockerConfig.credentialsFor(config, "docker.io", "s", JSON))
                .contains(new DockerConfig.Credentials("hub", "pw"));
        assertThat(DockerConfig.credentialsFor(config, "ghcr.io", "s", JSON))
                .contains(new DockerConfig.Credentials("ada", "tok"));
        assertThat(DockerConfig.credentialsFor(config, "127.0.0.1:5000", "s", JSON))
                .contains(new DockerConfig.Credentials("local", "p:w"));
        assertThat(DockerConfig.credentialsFor(config, "quay.io", "s", JSON)).isEmpty();
        assertThat(DockerConfig.credentialsFor(config, "ghcr.io", "s", JSON).get().toString()).doesNotContain("tok");
    }

    @Test
    void brokenEntriesSayWhatIsWrong() {
        assertThatThrownBy(() -> DockerConfig.credentialsFor("not json", "h", "Secret ns/pull", JSON))
                .hasMessageContaining("Secret ns/pull is not docker config JSON");
        assertThatThrownBy(() -> DockerConfig.credentialsFor("{\"auths\":{\"h\":{\"auth\":\"%%%\"}}}", "h", "S", JSON))
                .hasMessageContaining("is not base64");
        assertThatThrownBy(() -> DockerConfig.credentialsFor("{\"auths\":{\"h\":{\"identitytoken\":\"x\"}}}", "h", "S",
                JSON)).hasMessageContaining("identity tokens are not supported");
    }
}
