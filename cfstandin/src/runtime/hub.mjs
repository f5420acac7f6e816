// The storage hub: one long-lived workerd (Miniflare) that owns every KV namespace, R2 bucket and
// D1 database of the stand-in, persisted under <state>/runtime/{kv,r2,d1}.
//
// Why a hub: each script runs in its own workerd so a redeploy restarts only that script, but two
// workerd processes opening the same SQLite files fail with SQLITE_BUSY under concurrent writes.
// So scripts get *remote* bindings (Miniflare's remote-proxy client) that forward to the hub's
// gateway, and the same id maps to the same storage for every script and for the API.
import { Miniflare } from "miniflare";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const GATEWAY = readFileSync(here("./workers/gateway.js"), "utf8");
const RAW_PLUGIN = { package: here("./raw-plugin.mjs"), name: "cfstandin-raw" };
const SIMULATORS = [
  ["KV_OBJECTS", "KVNamespaceObject", "kv:ns"],
  ["R2_OBJECTS", "R2BucketObject", "r2:bucket"],
  ["D1_OBJECTS", "D1DatabaseObject", "d1:db"],
];
const COMPAT_DATE = "2025-04-01";

export class StorageHub {
  /** @param {{store: import("../state.mjs").StateStore, log: (line: string) => void}} opts */
  constructor({ store, log }) {
    this.store = store;
    this.log = log;
    this.access = null; // Miniflare giving node-side binding objects (for the KV/D1/R2 API endpoints)
    this.accessIds = { kv: new Set(), r2: new Set(), d1: new Set() };
    this.accessChain = Promise.resolve();
  }

  async start() {
    this.hub = new Miniflare({
      name: "cfstandin-hub",
      modules: [{ type: "ESModule", path: "/hub/gateway.js", contents: GATEWAY }],
      modulesRoot: "/hub",
      compatibilityDate: COMPAT_DATE,
      // One placeholder of each kind makes Miniflare create the simulator services and their storage.
      kvNamespaces: { __KV: "__cfstandin" },
      r2Buckets: { __R2: "__cfstandin" },
      d1Databases: { __D1: "__cfstandin" },
      unsafeBindings: SIMULATORS.map(([name, className, serviceName]) => ({
        name,
        type: "raw",
        plugin: RAW_PLUGIN,
        options: { binding: { durableObjectNamespace: { className, serviceName } } },
      })),
      kvPersist: this.store.runtimeDir("kv"),
      r2Persist: this.store.runtimeDir("r2"),
      d1Persist: this.store.runtimeDir("d1"),
      host: "127.0.0.1",
      port: 0,
    });
    this.url = await this.hub.ready;
    this.log(`storage hub on ${this.url}`);
  }

  /** Miniflare binding designator for a script's (or the API's) binding to storage `id`. */
  binding(kind, id) {
    return { id, remoteProxyConnectionString: new URL(`/raw/${kind}/${encodeURIComponent(id)}`, this.url) };
  }

  static bindingName(kind, id) {
    return `${kind.toUpperCase()}_${Buffer.from(id).toString("hex")}`;
  }

  /** Node-side binding objects for the API; the access runtime is rebuilt when a new id is needed. */
  async #withAccess(kind, id) {
    const run = async () => {
      if (!this.access || !this.accessIds[kind].has(id)) {
        this.accessIds[kind].add(id);
        const opts = { kvNamespaces: {}, r2Buckets: {}, d1Databases: {} };
        const field = { kv: "kvNamespaces", r2: "r2Buckets", d1: "d1Databases" };
        for (const k of ["kv", "r2", "d1"]) for (const i of this.accessIds[k]) opts[field[k]][StorageHub.bindingName(k, i)] = this.binding(k, i);
        const worker = { name: "cfstandin-api", modules: true, script: "export default { fetch() { return new Response(null, { status: 404 }); } }", compatibilityDate: COMPAT_DATE, ...opts };
        if (this.access) await this.access.setOptions(worker);
        else this.access = new Miniflare(worker);
        await this.access.ready;
      }
    };
    this.accessChain = this.accessChain.then(run, run);
    await this.accessChain;
    return StorageHub.bindingName(kind, id);
  }

  async kv(id) {
    const name = await this.#withAccess("kv", id);
    return this.access.getKVNamespace(name);
  }

  async r2(bucket) {
    const name = await this.#withAccess("r2", bucket);
    return this.access.getR2Bucket(name);
  }

  async d1(id) {
    const name = await this.#withAccess("d1", id);
    return this.access.getD1Database(name);
  }

  async dispose() {
    await this.access?.dispose();
    await this.hub?.dispose();
  }
}
