package dev.pymode.operator.contracts;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Tag;

/**
 * Every example of schemas/examples/ is judged by the Java validator as by the worker's (ajv) and Python's
 * (jsonschema): valid ones pass, invalid ones fail, so the three ends read one contract the same way.
 */
@Tag("unit")
class SchemaCorpusTest {

    @ParameterizedTest
    @CsvSource({
            "bundle, bundle.schema.json",
            "bindings-decl, worker-vars/bindings-decl.schema.json",
            "bindings, worker-vars/bindings.schema.json",
            "schedules, worker-vars/schedules.schema.json",
            "routing, worker-vars/routing.schema.json",
            "builder-inputs, builder-inputs.schema.json"})
    void validExamplesPassAndInvalidOnesFail(String contract, String schema) {
        Contracts.examples(contract, "valid").forEach((file, example) ->
                assertThat(Contracts.errors(schema, example)).as(contract + "/valid/" + file).isEmpty());
        Contracts.examples(contract, "invalid").forEach((file, example) ->
                assertThat(Contracts.errors(schema, example)).as(contract + "/invalid/" + file).isNotEmpty());
        assertThat(Stream.of("valid", "invalid").mapToInt(w -> Contracts.examples(contract, w).size()).sum())
                .as("examples of " + contract).isPositive();
    }
}
