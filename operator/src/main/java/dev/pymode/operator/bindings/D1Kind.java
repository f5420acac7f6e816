package dev.pymode.operator.bindings;

import java.util.List;

import dev.pymode.cloudflare.Binding;
import dev.pymode.cloudflare.CloudflareClient;
import dev.pymode.operator.api.v1alpha1.worker.D1Binding;
import dev.pymode.operator.api.v1alpha1.worker.WorkerBindings;
import dev.pymode.operator.inventory.AccountInventory;

/** D1 databases ({@code spec.bindings.d1}): by name, created when missing. */
final class D1Kind implements BindingKind<D1Binding> {

    public String name() {
        return "d1";
    }

    public List<D1Binding> declared(WorkerBindings bindings) {
        return bindings.getD1();
    }

    public String resolve(AccountInventory inventory, D1Binding binding) {
        return inventory.d1DatabaseId(binding.getDatabase());
    }

    public Binding metadata(D1Binding binding, String databaseId) {
        return new Binding.D1(binding.getName(), databaseId);
    }

    public String ownedResource(D1Binding binding) {
        return binding.getDatabase();
    }

    public void deleteResource(CloudflareClient client, String account, String name) {
        client.listD1Databases(account, name).stream().filter(d -> d.name().equals(name)).findFirst()
                .ifPresent(d -> BindingKinds.ignoreNotFound(() -> client.deleteD1Database(account, d.uuid())));
    }
}
