package dev.pymode.operator.bindings;

import java.util.List;

import dev.pymode.cloudflare.Binding;
import dev.pymode.cloudflare.CloudflareClient;
import dev.pymode.operator.api.v1alpha1.worker.KvBinding;
import dev.pymode.operator.api.v1alpha1.worker.WorkerBindings;
import dev.pymode.operator.inventory.AccountInventory;

/** Workers KV namespaces ({@code spec.bindings.kv}): by title, created when missing. */
final class KvKind implements BindingKind<KvBinding> {

    public String name() {
        return "kv";
    }

    public List<KvBinding> declared(WorkerBindings bindings) {
        return bindings.getKv();
    }

    public String resolve(AccountInventory inventory, KvBinding binding) {
        return inventory.kvNamespaceId(binding.getNamespace());
    }

    public Binding metadata(KvBinding binding, String namespaceId) {
        return new Binding.KvNamespace(binding.getName(), namespaceId);
    }

    public String ownedResource(KvBinding binding) {
        return binding.getNamespace();
    }

    public void deleteResource(CloudflareClient client, String account, String title) {
        client.listKvNamespaces(account).stream().filter(n -> n.title().equals(title)).findFirst()
                .ifPresent(n -> BindingKinds.ignoreNotFound(() -> client.deleteKvNamespace(account, n.id())));
    }
}
