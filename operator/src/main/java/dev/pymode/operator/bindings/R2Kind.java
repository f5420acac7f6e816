package dev.pymode.operator.bindings;

import java.util.List;

import dev.pymode.cloudflare.Binding;
import dev.pymode.cloudflare.CloudflareClient;
import dev.pymode.operator.api.v1alpha1.worker.R2Binding;
import dev.pymode.operator.api.v1alpha1.worker.WorkerBindings;
import dev.pymode.operator.inventory.AccountInventory;

/** R2 buckets ({@code spec.bindings.r2}): by name, created when missing. */
final class R2Kind implements BindingKind<R2Binding> {

    public String name() {
        return "r2";
    }

    public List<R2Binding> declared(WorkerBindings bindings) {
        return bindings.getR2();
    }

    public String resolve(AccountInventory inventory, R2Binding binding) {
        return inventory.r2Bucket(binding.getBucket());
    }

    public Binding metadata(R2Binding binding, String bucket) {
        return new Binding.R2Bucket(binding.getName(), bucket, null);
    }

    public String ownedResource(R2Binding binding) {
        return binding.getBucket();
    }

    public void deleteResource(CloudflareClient client, String account, String bucket) {
        BindingKinds.ignoreNotFound(() -> client.deleteR2Bucket(account, bucket));
    }
}
