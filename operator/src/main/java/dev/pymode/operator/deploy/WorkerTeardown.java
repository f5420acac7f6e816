package dev.pymode.operator.deploy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.pymode.cloudflare.CloudflareApiException;
import dev.pymode.cloudflare.CloudflareClient;
import dev.pymode.operator.api.v1alpha1.worker.DeployedRoute;
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
        Plan plan = plan(worker, deployment, kubernetes.resources(PyModeWorker.class).inAnyNamespace().list().getItems());
        if (plan.removeScript()) {
            if (plan.detachQueueConsumers()) {
                QueueConsumers.detach(client, account, deployment.getScriptName());
            }
            ignoreNotFound(() -> client.deleteScript(account, deployment.getScriptName()));
            // The routes would outlive the script and keep matching requests; cron triggers go with the script.
            plan.routes().forEach(route -> routes.remove(client, account, route));
        }
        plan.resources().forEach((kind, resources) -> resources.forEach(r -> kind.deleteResource(client, account, r)));
    }

    /**
     * What tearing a worker down removes from its account, decided from the workers that exist (no call is made).
     *
     * @param removeScript         the script goes, unless another worker deploys the same script now (it took the
     *                             name over and keeps it, with its routes)
     * @param detachQueueConsumers the script consumes queues: detach it first
     * @param routes               the routes to remove with the script
     * @param resources            owned resources to delete, by kind: none under resourcePolicy Retain, and none that
     *                             another worker of the account still binds
     */
    record Plan(boolean removeScript, boolean detachQueueConsumers, List<DeployedRoute> routes,
                Map<BindingKind<?>, List<String>> resources) {
    }

    static Plan plan(PyModeWorker worker, WorkerDeployment deployment, List<PyModeWorker> workers) {
        String account = deployment.getAccountId();
        List<PyModeWorker> others = workers.stream()
                .filter(w -> !w.getMetadata().getUid().equals(worker.getMetadata().getUid()))
                .filter(w -> w.getStatus() != null && w.getStatus().getDeployment() != null
                        && account.equals(w.getStatus().getDeployment().getAccountId()))
                .toList();
        boolean removeScript = others.stream()
                .noneMatch(w -> deployment.getScriptName().equals(w.getStatus().getDeployment().getScriptName()));
        return new Plan(removeScript, removeScript && !worker.getSpec().getQueueConsumers().isEmpty(),
                removeScript ? List.copyOf(deployment.getRoutes()) : List.of(), unsharedResources(worker, others));
    }

    /** The owned resources the worker's bindings name that no other worker of the account binds (policy Delete). */
    private static Map<BindingKind<?>, List<String>> unsharedResources(PyModeWorker worker, List<PyModeWorker> others) {
        var cloudflare = worker.getSpec().getCloudflare();
        WorkerBindings bindings = worker.getSpec().getBindings();
        if (bindings == null || cloudflare != null && cloudflare.getResourcePolicy() == ResourcePolicy.Retain) {
            return Map.of();
        }
        List<WorkerBindings> elsewhere = others.stream().map(w -> w.getSpec().getBindings()).filter(b -> b != null)
                .toList();
        Map<BindingKind<?>, List<String>> delete = new LinkedHashMap<>();
        BindingKinds.ownedResources(bindings).forEach((kind, resources) -> {
            List<String> unshared = resources.stream().filter(r -> !boundElsewhere(elsewhere, kind, r)).toList();
            if (!unshared.isEmpty()) {
                delete.put(kind, unshared);
            }
        });
        return delete;
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
