package dev.pymode.operator.api.v1alpha1.worker;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.pymode.operator.api.v1alpha1.common.Syntax;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** A D1 database, found by name or created. */
public class D1Binding extends NamedBinding {

    @JsonPropertyDescription("Name of the D1 database; created when missing.")
    @Required
    @Size(min = 1, max = 256)
    @ValidationRule(value = "self.matches(r'''" + Syntax.D1_DATABASE_NAME + "''')",
            message = "D1 database names are lowercase letters, digits, '-' or '_', starting with a letter or digit")
    private String database;

    public String getDatabase() { return database; }
    public void setDatabase(String database) { this.database = database; }
}
