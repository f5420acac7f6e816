// Zones (configured with --zone) and their Worker routes. Routes really route: a request whose
// Host and path match a route's pattern is served by the route's script (server.mjs).
import { randomUUID } from "node:crypto";
import { CfError, CODES, notFound, paginate } from "../envelope.mjs";

/** Route pattern match: "host/path" with `*` wildcards (Cloudflare's route pattern syntax). */
export function routeMatches(pattern, hostname, path) {
  const slash = pattern.indexOf("/");
  const [hostPat, pathPat] = slash < 0 ? [pattern, "/*"] : [pattern.slice(0, slash), pattern.slice(slash)];
  const re = (p) => new RegExp(`^${p.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`, "i");
  return re(hostPat).test(hostname) && re(pathPat).test(path);
}

function listZones({ auth, query, standin }) {
  let items = auth.allowed.flatMap((id) => Object.values(standin.store.accounts.get(id)?.zones ?? {}));
  if (query.has("name")) items = items.filter((z) => z.name === query.get("name"));
  if (query.has("account.id")) items = items.filter((z) => z.account.id === query.get("account.id"));
  return paginate(items, query, { defaultPerPage: 20 });
}

const zoneRoutes = (account, zoneId) => Object.values(account.routes).filter((r) => r.zone_id === zoneId);
const view = ({ id, pattern, script }) => ({ id, pattern, ...(script ? { script } : {}) });

function route(account, params) {
  const r = account.routes[params.route_id];
  if (!r || r.zone_id !== params.zone_id) throw notFound("Route not found");
  return r;
}

function listRoutes({ account, params }) {
  return { result: zoneRoutes(account, params.zone_id).map(view) };
}

function createRoute({ account, params, body, standin }) {
  const { pattern, script } = body.json;
  if (zoneRoutes(account, params.zone_id).some((r) => r.pattern === pattern)) throw new CfError(409, 10020, "A route with the same pattern already exists");
  const r = { id: randomUUID().replace(/-/g, ""), zone_id: params.zone_id, pattern, script };
  account.routes[r.id] = r;
  standin.store.save(account.id);
  return { result: view(r) };
}

function getRoute({ account, params }) {
  return { result: view(route(account, params)) };
}

function updateRoute({ account, params, body, standin }) {
  const r = route(account, params);
  Object.assign(r, { pattern: body.json.pattern, script: body.json.script });
  standin.store.save(account.id);
  return { result: view(r) };
}

function deleteRoute({ account, params, standin }) {
  const r = route(account, params);
  delete account.routes[r.id];
  standin.store.save(account.id);
  return { result: { id: r.id } };
}

export const zones = {
  "zones-get": listZones,
  "worker-routes-list-routes": listRoutes,
  "worker-routes-create-route": createRoute,
  "worker-routes-get-route": getRoute,
  "worker-routes-update-route": updateRoute,
  "worker-routes-delete-route": deleteRoute,
};
