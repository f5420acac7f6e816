package dev.pymode.cloudflare;

import java.util.List;

/** The remote configuration of a script, read to detect drift (see {@link BindingDrift}). */
public record ScriptSettings(List<Binding> bindings, String compatibilityDate, List<String> compatibilityFlags,
        String usageModel) {

    public ScriptSettings {
        bindings = List.copyOf(bindings);
        compatibilityFlags = List.copyOf(compatibilityFlags);
    }
}
