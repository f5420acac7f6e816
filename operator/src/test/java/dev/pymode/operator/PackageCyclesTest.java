package dev.pymode.operator;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The operator's packages depend on one another in one direction only (issue #16), so each can be read, tested
 * and changed from the packages below it: a cycle means two packages that can only be understood together.
 * Checked at every depth: a subpackage that builds on its parent's model must not be imported back by it
 * ({@code source.resolve} dispatches to {@code source.git} and {@code source.oci}, which build on {@code source}).
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
    void packagesAtEveryDepthAreFreeOfCycles() {
        slices().matching("dev.pymode.operator.(**)").should().beFreeOfCycles().check(operator);
    }

    @Test
    void gitAndOciSourcesAreIndependent() {
        noClasses().that().resideInAPackage("dev.pymode.operator.source.git..")
                .should().dependOnClassesThat().resideInAPackage("dev.pymode.operator.source.oci..").check(operator);
        noClasses().that().resideInAPackage("dev.pymode.operator.source.oci..")
                .should().dependOnClassesThat().resideInAPackage("dev.pymode.operator.source.git..").check(operator);
    }
}
