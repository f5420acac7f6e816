package dev.pymode.operator.api.v1alpha1.worker;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** A binding is reached in Python as {@code env.<name>}, so its name must be a usable attribute name. */
public abstract class NamedBinding {

    static final String PYTHON_IDENTIFIER = "^[A-Za-z_][A-Za-z0-9_]*$";
    static final String PYTHON_KEYWORDS = "['False','None','True','and','as','assert','async','await','break','class',"
            + "'continue','def','del','elif','else','except','finally','for','from','global','if','import','in','is',"
            + "'lambda','nonlocal','not','or','pass','raise','return','try','while','with','yield']";

    @JsonPropertyDescription("Name of the binding: the attribute on `env` (a Python identifier, not a keyword).")
    @Required
    @Size(min = 1, max = 64)
    @ValidationRule(value = "self.matches('" + PYTHON_IDENTIFIER + "') && !(self in " + PYTHON_KEYWORDS + ")",
            message = "binding names must be valid Python identifiers (letters, digits, '_', not starting with a "
                    + "digit) and not Python keywords")
    private String name;

    public String getName() { return name; }
    public void setName(String name) { this.name = name; }
}
