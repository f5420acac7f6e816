package dev.pymode.operator.bindings;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BiConsumer;

import dev.pymode.cloudflare.Binding;
import dev.pymode.cloudflare.CloudflareApiException;
import dev.pymode.operator.api.v1alpha1.worker.NamedBinding;
import dev.pymode.operator.api.v1alpha1.worker.WorkerBindings;
import dev.pymode.operator.inventory.AccountInventory;

/**
 * The operator's binding-kind registry: one {@link BindingKind} per kind, listed once here. Everything that used to
 * name KV, R2 and D1 one by one (resolution, upload metadata, {@code PYMODE_BINDINGS_DECL}, the deploy inputs
 * digest, teardown) goes through this list. See docs/abi.md "Adding a binding kind".
 */
public final class BindingKinds {

    public static final List<BindingKind<?>> ALL = List.of(new KvKind(), new R2Kind(), new D1Kind(), new QueueKind(),
            new ServiceKind());

    /**
     * Kinds whose (possibly empty) resolution was a part of the deploy inputs digest before the registry existed.
     * They stay parts even when empty, so every existing worker keeps its digest (no re-check after an operator
     * upgrade); every other kind is a part only for workers that use it, so adding a kind changes no digest.
     */
    static final Set<String> ALWAYS_DIGESTED = Set.of("kv", "r2", "d1");

    private BindingKinds() {
    }

    /** What each binding of a worker points at: kind name → binding name → resolved value, in spec order. */
    public record Resolved(Map<String, Map<String, String>> byKind) {

        public Resolved {
            Map<String, Map<String, String>> copy = new LinkedHashMap<>();
            byKind.forEach((kind, names) -> copy.put(kind, Map.copyOf(names)));
            byKind = Map.copyOf(copy);
        }

        public static Resolved none() {
            return new Resolved(Map.of());
        }

        public Map<String, String> of(String kind) {
            return byKind.getOrDefault(kind, Map.of());
        }

        /** The parts of the deploy inputs digest, in registry order (see {@link #ALWAYS_DIGESTED}). */
        public List<String> digestParts() {
            return ALL.stream().map(BindingKind::name)
                    .filter(kind -> ALWAYS_DIGESTED.contains(kind) || !of(kind).isEmpty())
                    .map(kind -> (ALWAYS_DIGESTED.contains(kind) ? "" : kind + "=") + new TreeMap<>(of(kind)))
                    .toList();
        }
    }

    /** Resolves every binding of the worker through the account inventory (creating missing resources). */
    public static Resolved resolve(AccountInventory inventory, WorkerBindings bindings) {
        Map<String, Map<String, String>> out = new LinkedHashMap<>();
        for (BindingKind<?> kind : ALL) {
            Map<String, String> names = new LinkedHashMap<>();
            each(kind, bindings, (k, b) -> names.put(b.getName(), k.resolve(inventory, b)));
            out.put(kind.name(), names);
        }
        return new Resolved(out);
    }

    /**
     * The upload-metadata bindings of the worker's declared kinds, with their {@code PYMODE_BINDINGS_DECL} entries
     * (binding name → kind name) added to {@code declaration}.
     */
    public static List<Binding> metadata(WorkerBindings bindings, Resolved resolved, Map<String, String> declaration) {
        List<Binding> out = new java.util.ArrayList<>();
        for (BindingKind<?> kind : ALL) {
            each(kind, bindings, (k, b) -> {
                String value = resolved.of(k.name()).get(b.getName());
                if (value == null) {
                    throw new IllegalStateException(k.name() + " binding " + b.getName() + " was not resolved");
                }
                out.add(k.metadata(b, value));
                declaration.put(b.getName(), k.name());
            });
        }
        return out;
    }

    /** The owned resources (see {@link BindingKind#ownedResource}) the worker's bindings name, by kind. */
    public static Map<BindingKind<?>, List<String>> ownedResources(WorkerBindings bindings) {
        Map<BindingKind<?>, List<String>> out = new LinkedHashMap<>();
        for (BindingKind<?> kind : ALL) {
            List<String> names = new java.util.ArrayList<>();
            each(kind, bindings, (k, b) -> {
                String resource = k.ownedResource(b);
                if (resource != null) {
                    names.add(resource);
                }
            });
            out.put(kind, names);
        }
        return out;
    }

    /** Calls {@code action} for each binding of this kind in the spec, with the kind typed for it. */
    @SuppressWarnings("unchecked")
    private static <B extends NamedBinding> void each(BindingKind<B> kind, WorkerBindings bindings,
                                                      BiConsumer<BindingKind<B>, B> action) {
        for (B binding : kind.declared(bindings)) {
            action.accept(kind, binding);
        }
    }

    static void ignoreNotFound(Runnable call) {
        try {
            call.run();
        } catch (CloudflareApiException e) {
            if (!e.isNotFound()) {
                throw e;
            }
        }
    }
}
