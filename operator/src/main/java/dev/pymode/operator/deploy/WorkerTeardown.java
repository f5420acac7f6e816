package dev.pymode.operator.deploy;

import java.util.List;

import dev.pymode.cloudflare.CloudflareApiException;
import dev.pymode.cloudflare.CloudflareClient;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorker;
import dev.pymode.operator.api.v1alpha1.worker.ResourcePolicy;
import dev.pymode.operator.api.v1alpha1.worker.WorkerBindings;
import dev.pymode.operator.api.v1alpha1.worker.WorkerDeployment;
import dev.pymode.operator.bindings.BindingKind;
import dev.pymode.operator.bindings.BindingKinds;
import dev.pymode.operator.inventory.AccountInventories;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.jboss.logging.Logger;

/**
 * Removes what a deleted worker put on Cloudflare: its script, its queue consumers and routes always; the resources
 * its bindings own (KV namespaces, R2 buckets, D1 databases, queues: {@link BindingKinds#ownedResources}) when the
 * resource policy is Delete and no other worker of the same account still binds them.
 */
public class WorkerTeardown {

    private static final Logger LOG = Logger.getLogger(WorkerTeardown.class);

    private final CloudflareTargets targets;
    private final CloudflareClients clients;
    private final AccountInventories inventories;
    private final KubernetesClient kubernetes;
    private final RouteSync routes;

    public WorkerTeardown(CloudflareTargets targets, CloudflareClients clients, AccountInventories inventories,
                          KubernetesClient kubernetes, RouteSync routes) {
        this.inventories = inventories;
        this.routes = routes;
        this.targets = targets;
        this.clients = clients;
        this.kubernetes = kubernetes;
    }

    public void teardown(PyModeWorker worker) {
        WorkerDeployment deployment = worker.getStatus() == null ? null : worker.getStatus().getDeployment();
        if (deployment == null) {
            return; // nothing was deployed
        }
        CloudflareTarget target = targets.resolve(worker);
        CloudflareClient shared = clients.forTarget(target);
        String account = deployment.getAccountId();
        try {
            removeFromAccount(worker, deployment, shared.forTenant(worker.getMetadata().getNamespace()), account);
        } finally {
            // the shared listings must not show the deleted script, or hand a deleted resource's ID to a worker
            inventories.of(shared, account).forget();
        }
    }

    private void removeFromAccount(PyModeWorker worker, WorkerDeployment deployment, CloudflareClient client,
                                   String account) {
        // Another worker that deploys the same script now (it took the name over) keeps it, with its routes.
        boolean scriptTakenOver = kubernetes.resources(PyModeWorker.class).inAnyNamespace().list().getItems().stream()
                .filter(w -> !w.getMetadata().getUid().equals(worker.getMetadata().getUid()))
                .anyMatch(w -> w.getStatus() != null && w.getStatus().getDeployment() != null
                        && account.equals(w.getStatus().getDeployment().getAccountId())
                        && deployment.getScriptName().equals(w.getStatus().getDeployment().getScriptName()));
        if (!scriptTakenOver) {
            if (!worker.getSpec().getQueueConsumers().isEmpty()) {
                QueueConsumers.detach(client, account, deployment.getScriptName());
            }
            ignoreNotFound(() -> client.deleteScript(account, deployment.getScriptName()));
            // The routes would outlive the script and keep matching requests; cron triggers go with the script.
            deployment.getRoutes().forEach(route -> routes.remove(client, account, route));
        }
        var cloudflare = worker.getSpec().getCloudflare();
        if (cloudflare != null && cloudflare.getResourcePolicy() == ResourcePolicy.Retain) {
            return;
        }
        WorkerBindings bindings = worker.getSpec().getBindings();
        if (bindings == null) {
            return;
        }
        deleteUnsharedResources(worker, client, account, bindings);
    }

    private void deleteUnsharedResources(PyModeWorker worker, CloudflareClient client, String account,
                                         WorkerBindings bindings) {
        List<PyModeWorker> others = kubernetes.resources(PyModeWorker.class).inAnyNamespace().list().getItems().stream()
                .filter(w -> !w.getMetadata().getUid().equals(worker.getMetadata().getUid()))
                .filter(w -> w.getStatus() != null && w.getStatus().getDeployment() != null
                        && account.equals(w.getStatus().getDeployment().getAccountId()))
                .toList();
        List<WorkerBindings> elsewhere = others.stream().map(w -> w.getSpec().getBindings()).filter(b -> b != null)
                .toList();
        BindingKinds.ownedResources(bindings).forEach((kind, resources) -> {
            for (String resource : resources) {
                if (!boundElsewhere(elsewhere, kind, resource)) {
                    kind.deleteResource(client, account, resource);
                }
            }
        });
    }

    private static boolean boundElsewhere(List<WorkerBindings> others, BindingKind<?> kind, String resource) {
        boolean shared = others.stream().anyMatch(b -> BindingKinds.ownedResources(b).get(kind).contains(resource));
        if (shared) {
            LOG.infof("keeping %s %s: another worker of the account binds it", kind.name(), resource);
        }
        return shared;
    }

    private static void ignoreNotFound(Runnable call) {
        try {
            call.run();
        } catch (CloudflareApiException e) {
            if (!e.isNotFound()) {
                throw e;
            }
        }
    }
}
