package dev.pymode.operator.api.v1alpha1.worker;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/** A D1 database, found by name or created. */
public class D1Binding extends NamedBinding {

    @JsonPropertyDescription("Name of the D1 database; created when missing.")
    @Required
    @Size(min = 1, max = 256)
    private String database;

    public String getDatabase() { return database; }
    public void setDatabase(String database) { this.database = database; }
}
