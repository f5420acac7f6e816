package dev.pymode.operator.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.pymode.devenv.LocalApiServer;
import dev.pymode.operator.support.TestPaths;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.StatusCause;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The bad-input corpus (testdata/bad-input) on a real kube-apiserver with the generated CRDs: every case is refused
 * at admission, and the refusal names the case's field and carries its rule's message. The valid corpus
 * (testdata/valid-input) is accepted, so the rules are not stricter than the inputs users really write.
 */
@Tag("apiserver")
class AdmissionCorpusTest {

    private static final String NS = "admission-corpus";
    private static final Path BAD = TestPaths.repoRoot().resolve("testdata/bad-input");
    private static final Path VALID = TestPaths.repoRoot().resolve("testdata/valid-input");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private static LocalApiServer server;
    private static KubernetesClient client;

    /** One document of the corpus: its name, the field and message fragment expected (bad cases), the resource. */
    record Case(String file, String name, String field, String message, Map<String, Object> resource) {
        @Override
        public String toString() {
            return file + ": " + name;
        }
    }

    @BeforeAll
    static void startApiServer() throws Exception {
        server = new LocalApiServer().start();
        client = server.newClient();
        LocalApiServer.applyCrds(client, TestPaths.generatedCrds());
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build())
                .create();
    }

    @AfterAll
    static void stopApiServer() {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void theCorporaAreLargeEnoughAndTheirCaseNamesUnique() throws IOException {
        List<Case> bad = load(BAD);
        List<Case> valid = load(VALID);
        assertThat(bad).hasSizeGreaterThanOrEqualTo(60);
        assertThat(bad).extracting(c -> c.resource().get("kind"))
                .contains("PyModeWorker", "PyModeWorkflow", "PyModeExtension");
        assertThat(valid).hasSizeGreaterThanOrEqualTo(15);
        Set<String> names = new HashSet<>();
        for (Case c : Stream.concat(bad.stream(), valid.stream()).toList()) {
            assertThat(names.add(c.name())).as("case names are unique (they name the resources): %s", c).isTrue();
        }
        for (Case c : bad) {
            assertThat(c.field()).as("%s names the field", c).isNotBlank();
            assertThat(c.message()).as("%s names the rule's message", c).isNotBlank();
        }
    }

    @TestFactory
    Stream<DynamicTest> badInputIsRefusedNamingTheFieldAndTheRule() throws IOException {
        return load(BAD).stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> {
            assertThatThrownBy(() -> create(c))
                    .as(c.toString())
                    .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
                        assertThat(e.getCode()).as("%s: HTTP status", c).isEqualTo(422);
                        List<StatusCause> causes = e.getStatus() == null || e.getStatus().getDetails() == null
                                ? List.of() : e.getStatus().getDetails().getCauses();
                        // a cause for the case's own field, whose message carries the rule
                        if (causes.stream().noneMatch(cause -> c.field().equals(cause.getField())
                                && cause.getMessage() != null && cause.getMessage().contains(c.message()))) {
                            fail("%s: no cause for field %s with a message containing \"%s\"; the API server said: %s",
                                    c, c.field(), c.message(), e.getMessage());
                        }
                    });
        }));
    }

    @TestFactory
    Stream<DynamicTest> validInputIsAccepted() throws IOException {
        return load(VALID).stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> {
            try {
                create(c);
            } catch (KubernetesClientException e) {
                fail("%s was refused: %s", c, e.getMessage());
            }
        }));
    }

    private static void create(Case c) {
        GenericKubernetesResource resource = YAML.convertValue(c.resource(), GenericKubernetesResource.class);
        resource.setApiVersion("pymode.dev/v1alpha1");
        if (resource.getMetadata() == null) {
            resource.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMeta());
        }
        resource.getMetadata().setName(c.name());
        resource.getMetadata().setNamespace(NS);
        client.resource(resource).create();
    }

    @SuppressWarnings("unchecked")
    static List<Case> load(Path dir) throws IOException {
        List<Case> cases = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                try (var documents = YAML.readerFor(Map.class).<Map<String, Object>>readValues(file.toFile())) {
                    while (documents.hasNext()) {
                        Map<String, Object> doc = documents.next();
                        if (doc == null || !doc.containsKey("resource")) {
                            continue; // builder-only cases carry a value, not a resource (builder-image/tests)
                        }
                        cases.add(new Case(file.getFileName().toString(), (String) doc.get("case"),
                                (String) doc.get("field"), (String) doc.get("message"),
                                (Map<String, Object>) doc.get("resource")));
                    }
                }
            }
        }
        return cases;
    }
}
