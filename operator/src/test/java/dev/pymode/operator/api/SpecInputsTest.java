package dev.pymode.operator.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import dev.pymode.operator.api.v1alpha1.common.SpecInput;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorkerSpec;
import dev.pymode.operator.builds.BuildKey;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Every PyModeWorker spec field declares what a change to it sets off ({@link SpecInput}), and the build inputs
 * are exactly what the build key is made of: a new field cannot slip into the bundle without reaching the key
 * (stale bundles), and a deploy setting cannot sit in the key (needless rebuilds of a fleet).
 */
@Tag("unit")
class SpecInputsTest {

    /** BuildKey components that come from the operator, not from the spec. */
    private static final Set<String> OPERATOR_INPUTS = Set.of("runtimeRef", "toolchain");

    private record Classified(String path, SpecInput input) {
    }

    private static List<Classified> fields(Class<?> type, String prefix) {
        List<Classified> out = new ArrayList<>();
        for (Field field : type.getDeclaredFields()) {
            if (Modifier.isStatic(field.getModifiers())) {
                continue;
            }
            String path = prefix + field.getName();
            SpecInput input = field.getAnnotation(SpecInput.class);
            out.add(new Classified(path, input));
            if (input != null && input.value() == SpecInput.Kind.GROUP) {
                out.addAll(fields(field.getType(), path + "."));
            }
        }
        return out;
    }

    @Test
    void everySpecFieldSaysWhatAChangeToItSetsOff() {
        List<String> unclassified = fields(PyModeWorkerSpec.class, "spec.").stream()
                .filter(f -> f.input() == null).map(Classified::path).toList();
        assertThat(unclassified).as("spec fields without @SpecInput").isEmpty();
    }

    @Test
    void theBuildInputsAreExactlyWhatTheBuildKeyIsMadeOf() {
        List<Classified> build = fields(PyModeWorkerSpec.class, "spec.").stream()
                .filter(f -> f.input() != null && f.input().value() == SpecInput.Kind.BUILD).toList();
        assertThat(build).as("build inputs name their key component")
                .allSatisfy(f -> assertThat(f.input().buildKey()).as(f.path()).isNotEmpty());
        Set<String> fromSpec = build.stream().map(f -> f.input().buildKey()).collect(Collectors.toCollection(TreeSet::new));
        Set<String> keyComponents = Arrays.stream(BuildKey.class.getRecordComponents()).map(RecordComponent::getName)
                .filter(name -> !OPERATOR_INPUTS.contains(name)).collect(Collectors.toCollection(TreeSet::new));
        assertThat(fromSpec).isEqualTo(keyComponents);
    }

    @Test
    void compatibilitySettingsBindingsAndRoutesAreDeployInputs() {
        var kinds = fields(PyModeWorkerSpec.class, "spec.").stream().filter(f -> f.input() != null)
                .collect(Collectors.toMap(Classified::path, f -> f.input().value()));
        for (String path : List.of("spec.cloudflare.compatibilityDate", "spec.cloudflare.compatibilityFlags",
                "spec.cloudflare.routes", "spec.cloudflare.rollout", "spec.bindings", "spec.queueConsumers")) {
            assertThat(kinds.get(path)).as(path).isEqualTo(SpecInput.Kind.DEPLOY);
        }
    }
}
