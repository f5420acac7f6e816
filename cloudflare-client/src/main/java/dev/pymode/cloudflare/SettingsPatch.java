package dev.pymode.cloudflare;

import java.util.List;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A change to a script's settings without re-uploading its code; a null field is left as it is. Bindings
 * replace the whole list: name a kept secret as {@code new Binding.SecretText(name, null)} to keep its value.
 */
public record SettingsPatch(List<Binding> bindings, String compatibilityDate, List<String> compatibilityFlags) {

    ObjectNode toJson() {
        ObjectNode settings = JsonNodeFactory.instance.objectNode();
        if (bindings != null) {
            ArrayNode array = settings.putArray("bindings");
            bindings.forEach(b -> array.add(b.toJson()));
        }
        if (compatibilityDate != null) {
            settings.put("compatibility_date", compatibilityDate);
        }
        if (compatibilityFlags != null) {
            ArrayNode flags = settings.putArray("compatibility_flags");
            compatibilityFlags.forEach(flags::add);
        }
        return settings;
    }

    @Override
    public String toString() {
        return "SettingsPatch[bindings=" + bindings + ", compatibilityDate=" + compatibilityDate
                + ", compatibilityFlags=" + compatibilityFlags + "]";
    }
}
