package dev.pymode.operator.bindings;

import java.util.List;

import dev.pymode.cloudflare.Binding;
import dev.pymode.cloudflare.CloudflareClient;
import dev.pymode.operator.api.v1alpha1.worker.QueueBinding;
import dev.pymode.operator.api.v1alpha1.worker.WorkerBindings;
import dev.pymode.operator.inventory.AccountInventory;

/**
 * Queue producers ({@code spec.bindings.queues}): the upload binds the queue by name, so the inventory only makes
 * sure it exists (created when missing; the listing is the account's, read once per interval).
 */
final class QueueKind implements BindingKind<QueueBinding> {

    public String name() {
        return "queue";
    }

    public List<QueueBinding> declared(WorkerBindings bindings) {
        return bindings.getQueues();
    }

    public String resolve(AccountInventory inventory, QueueBinding binding) {
        inventory.queue(binding.getQueue());
        return binding.getQueue();
    }

    public Binding metadata(QueueBinding binding, String queueName) {
        return new Binding.Queue(binding.getName(), queueName);
    }

    public String ownedResource(QueueBinding binding) {
        return binding.getQueue();
    }

    public void deleteResource(CloudflareClient client, String account, String name) {
        client.listQueues(account).stream().filter(q -> q.name().equals(name)).findFirst()
                .ifPresent(q -> BindingKinds.ignoreNotFound(() -> client.deleteQueue(account, q.id())));
    }
}
