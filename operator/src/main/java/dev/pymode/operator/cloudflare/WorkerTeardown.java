package dev.pymode.operator.cloudflare;

import java.util.List;
import java.util.function.Function;

import dev.pymode.cloudflare.CloudflareApiException;
import dev.pymode.cloudflare.CloudflareClient;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorker;
import dev.pymode.operator.api.v1alpha1.worker.ResourcePolicy;
import dev.pymode.operator.api.v1alpha1.worker.WorkerBindings;
import dev.pymode.operator.api.v1alpha1.worker.WorkerDeployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.jboss.logging.Logger;

/**
 * Removes what a deleted worker put on Cloudflare: its script and routes always; its KV namespaces, R2 buckets and D1
 * databases when the resource policy is Delete and no other worker of the same account still binds them.
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
        for (var kv : bindings.getKv()) {
            if (!boundElsewhere(others, b -> b.getKv().stream().map(x -> x.getNamespace()).toList(), kv.getNamespace())) {
                client.listKvNamespaces(account).stream().filter(n -> n.title().equals(kv.getNamespace())).findFirst()
                        .ifPresent(n -> ignoreNotFound(() -> client.deleteKvNamespace(account, n.id())));
            }
        }
        for (var r2 : bindings.getR2()) {
            if (!boundElsewhere(others, b -> b.getR2().stream().map(x -> x.getBucket()).toList(), r2.getBucket())) {
                ignoreNotFound(() -> client.deleteR2Bucket(account, r2.getBucket()));
            }
        }
        for (var d1 : bindings.getD1()) {
            if (!boundElsewhere(others, b -> b.getD1().stream().map(x -> x.getDatabase()).toList(), d1.getDatabase())) {
                client.listD1Databases(account, d1.getDatabase()).stream()
                        .filter(d -> d.name().equals(d1.getDatabase())).findFirst()
                        .ifPresent(d -> ignoreNotFound(() -> client.deleteD1Database(account, d.uuid())));
            }
        }
    }

    private static boolean boundElsewhere(List<PyModeWorker> others, Function<WorkerBindings, List<String>> names,
                                          String name) {
        boolean shared = others.stream().map(w -> w.getSpec().getBindings()).filter(b -> b != null)
                .anyMatch(b -> names.apply(b).contains(name));
        if (shared) {
            LOG.infof("keeping %s: another worker of the account binds it", name);
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
