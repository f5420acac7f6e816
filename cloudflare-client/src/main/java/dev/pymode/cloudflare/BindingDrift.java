package dev.pymode.cloudflare;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Differences between the bindings the operator wants and those Cloudflare reports, e.g. a KV binding removed
 * or repointed by hand in the dashboard. Secrets compare by name only (Cloudflare never returns values).
 */
public record BindingDrift(List<Binding> missing, List<Binding> changed, List<Binding> unexpected) {

    public static BindingDrift between(List<Binding> desired, List<Binding> remote) {
        Map<String, Binding> remoteByName = remote.stream()
                .collect(Collectors.toMap(Binding::name, Function.identity(), (a, b) -> a));
        Map<String, Binding> desiredByName = desired.stream()
                .collect(Collectors.toMap(Binding::name, Function.identity(), (a, b) -> a));
        List<Binding> missing = new ArrayList<>();
        List<Binding> changed = new ArrayList<>();
        for (Binding want : desired) {
            Binding have = remoteByName.get(want.name());
            if (have == null) {
                missing.add(want);
            } else if (!same(want, have)) {
                changed.add(want);
            }
        }
        List<Binding> unexpected = remote.stream().filter(b -> !desiredByName.containsKey(b.name())).toList();
        return new BindingDrift(missing, changed, unexpected);
    }

    private static boolean same(Binding want, Binding have) {
        if (want instanceof Binding.SecretText || want instanceof Binding.Other) {
            return want.type().equals(have.type());
        }
        return want.equals(have);
    }

    public boolean none() {
        return missing.isEmpty() && changed.isEmpty() && unexpected.isEmpty();
    }
}
