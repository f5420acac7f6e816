package dev.pymode.operator;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The operator's packages depend on one another in one direction only (issue #16), so each can be read, tested
 * and changed from the packages below it: a cycle means two packages that can only be understood together.
 * Subpackages count with their parent: {@code source.SourceResolver} dispatches to {@code source.git} and
 * {@code source.oci}, which build on the model in {@code source}; that is one package seen from outside.
 */
@Tag("unit")
class PackageCyclesTest {

    private static JavaClasses operator;

    @BeforeAll
    static void importOperator() {
        operator = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_JARS)
                .importPackages("dev.pymode.operator");
    }

    @Test
    void topLevelPackagesAreFreeOfCycles() {
        slices().matching("dev.pymode.operator.(*)..").should().beFreeOfCycles().check(operator);
    }

    @Test
    void gitAndOciSourcesAreIndependent() {
        slices().matching("dev.pymode.operator.source.(*)..").should().notDependOnEachOther().check(operator);
    }
}
