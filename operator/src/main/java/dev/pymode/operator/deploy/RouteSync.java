package dev.pymode.operator.deploy;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import dev.pymode.cloudflare.CloudflareApiException;
import dev.pymode.cloudflare.CloudflareClient;
import dev.pymode.cloudflare.CloudflareException;
import dev.pymode.cloudflare.WorkerRoute;
import dev.pymode.operator.api.v1alpha1.worker.DeployedRoute;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorker;
import dev.pymode.operator.events.EventRecorder;

/**
 * Keeps a script's zone routes equal to {@code spec.cloudflare.routes}: missing ones are created, the ones the
 * operator created earlier and the spec no longer lists are deleted. Routes made by hand for other scripts
 * are never touched; the operator only deletes routes it recorded in status.
 */
public class RouteSync {

    private final EventRecorder events;

    public RouteSync(EventRecorder events) {
        this.events = events;
    }

    /** @return the routes the script has now (to record in status) */
    public List<DeployedRoute> sync(CloudflareClient client, String account, String script, PyModeWorker worker,
                                    List<DeployedRoute> previous) {
        var cloudflare = worker.getSpec().getCloudflare();
        List<DeployedRoute> current = new ArrayList<>();
        if (cloudflare != null) {
            for (var route : cloudflare.getRoutes()) {
                String zoneName = route.getZoneName() != null ? route.getZoneName()
                        : route.getPattern().split("/", 2)[0].replaceFirst("^\\*\\.", "");
                String zoneId = client.findZoneId(account, zoneName).orElseThrow(() -> new CloudflareException(
                        "GET zones", "zone " + zoneName + " for route " + route.getPattern()
                        + " is not in the account", null));
                List<WorkerRoute> existing = client.listRoutes(account, zoneId);
                Optional<WorkerRoute> ours = existing.stream()
                        .filter(r -> r.pattern().equals(route.getPattern()) && script.equals(r.script())).findFirst();
                String id = ours.map(WorkerRoute::id)
                        .orElseGet(() -> client.createRoute(account, zoneId, route.getPattern(), script).id());
                current.add(new DeployedRoute(route.getPattern(), zoneId, id));
            }
        }
        for (DeployedRoute old : previous) {
            boolean kept = current.stream().anyMatch(r -> r.getZoneId().equals(old.getZoneId())
                    && r.getPattern().equals(old.getPattern()));
            if (!kept) {
                remove(client, account, old);
                events.normal(worker, "RouteRemoved", "route " + old.getPattern() + " is no longer in the spec");
            }
        }
        return current;
    }

    /** Deletes a route the operator created; one already gone is fine. */
    public void remove(CloudflareClient client, String account, DeployedRoute route) {
        try {
            client.deleteRoute(account, route.getZoneId(), route.getId());
        } catch (CloudflareApiException e) {
            if (!e.isNotFound()) {
                throw e;
            }
        }
    }
}
