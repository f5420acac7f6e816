package dev.pymode.operator.bindings;

import java.util.List;

import dev.pymode.cloudflare.Binding;
import dev.pymode.cloudflare.CloudflareClient;
import dev.pymode.operator.api.v1alpha1.worker.ServiceBinding;
import dev.pymode.operator.api.v1alpha1.worker.WorkerBindings;
import dev.pymode.operator.inventory.AccountInventory;

/**
 * Service bindings ({@code spec.bindings.services}): another Worker script of the account, by name. Nothing to look
 * up or create (Cloudflare refuses the upload if the script does not exist), and nothing owned.
 */
final class ServiceKind implements BindingKind<ServiceBinding> {

    public String name() {
        return "service";
    }

    public List<ServiceBinding> declared(WorkerBindings bindings) {
        return bindings.getServices();
    }

    public String resolve(AccountInventory inventory, ServiceBinding binding) {
        return binding.getEntrypoint() == null ? binding.getService() : binding.getService() + "#" + binding.getEntrypoint();
    }

    public Binding metadata(ServiceBinding binding, String resolved) {
        return new Binding.Service(binding.getName(), binding.getService(), binding.getEntrypoint());
    }

    public String ownedResource(ServiceBinding binding) {
        return null;
    }

    public void deleteResource(CloudflareClient client, String account, String resource) {
        throw new UnsupportedOperationException("a service binding owns no resource");
    }
}
