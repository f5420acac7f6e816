// Translate a stored script version (upload metadata + modules) into Miniflare worker options.
import { scriptInvalid } from "../envelope.mjs";

// Upload part Content-Type → Miniflare module type (wrangler's mapping, npm-workerd.md §6b).
const MODULE_TYPES = {
  "application/javascript+module": "ESModule",
  "text/javascript+module": "ESModule",
  "application/javascript": "CommonJS",
  "text/javascript": "CommonJS",
  "application/wasm": "CompiledWasm",
  "text/plain": "Text",
  "application/octet-stream": "Data",
  "text/x-python": "PythonModule",
  "text/x-python-requirement": "PythonRequirement",
};
const NOT_MODULES = new Set(["application/source-map"]);

/** Binding kinds the stand-in can run; the rest are refused at upload (README "Limits"). */
export const RUNNABLE_BINDINGS = new Set(["plain_text", "secret_text", "json", "kv_namespace", "r2_bucket", "d1", "durable_object_namespace", "queue", "service", "assets"]);

/** The worker of a script runtime that implements queue producer bindings (./workers/queue-producer.js). */
export const QUEUE_PRODUCER_WORKER = "cfstandin-queue-producer";

export function moduleType(contentType) {
  const base = String(contentType ?? "").split(";")[0].trim().toLowerCase();
  if (NOT_MODULES.has(base)) return null;
  return MODULE_TYPES[base];
}

/**
 * Check that a version can run: supported bindings, DO classes declared by a migration of this
 * script, a main module among the parts. Throws a 10021 CfError otherwise.
 */
export function checkRunnable(metadata, modules, doClasses, assets = null) {
  const main = metadata.main_module ?? metadata.body_part;
  if (!main) throw scriptInvalid("metadata must name main_module (module syntax) or body_part (service-worker syntax)");
  if (!modules.some((m) => m.name === main)) throw scriptInvalid(`main module '${main}' is not among the uploaded parts`);
  for (const b of metadata.bindings ?? []) {
    if (!RUNNABLE_BINDINGS.has(b.type)) throw scriptInvalid(`binding '${b.name}' of type '${b.type}' is not supported by cfstandin`);
    if (b.type === "assets" && !assets) throw scriptInvalid(`binding '${b.name}' of type 'assets': the upload has no assets (metadata.assets or keep_assets)`);
    if (b.type === "service" && b.entrypoint) throw scriptInvalid(`binding '${b.name}': named entrypoints of service bindings are not supported by cfstandin`);
    if (b.type === "durable_object_namespace") {
      if (b.script_name) throw scriptInvalid(`binding '${b.name}': Durable Objects of another script (script_name) are not supported by cfstandin`);
      if (!doClasses[b.class_name]) throw scriptInvalid(`binding '${b.name}' refers to class '${b.class_name}', which no migration of this script created`);
    }
  }
}

export function doUniqueKey(accountId, script, className) {
  return `${accountId}-${script}-${className}`;
}

/**
 * @param {object} o
 * @param {string} o.name Miniflare worker name
 * @param {object} o.version stored version document
 * @param {(mod: object) => Buffer} o.contents reads a module's bytes
 * @param {import("./hub.mjs").StorageHub} o.hub
 * @param {Record<string, {sqlite: boolean}>} o.doClasses the script's Durable Object classes
 * @param {string|null} o.doHostWorker worker hosting the DO classes, null if this one does
 * @param {(script: string, request: Request) => Promise<Response>} o.serviceFetch sends a request to
 *   another script of the account (service bindings; each script runs in its own workerd)
 * @param {string|null} o.assetsDir the version's static assets laid out by path (null: none)
 */
export function versionWorker({ name, version, contents, hub, doClasses, doHostWorker, accountId, script, serviceFetch, assetsDir = null }) {
  const md = version.metadata;
  const opts = {
    name,
    compatibilityDate: md.compatibility_date ?? "2021-01-01",
    compatibilityFlags: md.compatibility_flags ?? [],
    bindings: {},
    kvNamespaces: {},
    r2Buckets: {},
    d1Databases: {},
    durableObjects: {},
    serviceBindings: {},
    wrappedBindings: {},
  };
  if (md.main_module) {
    // Module syntax: the main module goes first (Miniflare's entry); names are paths under a
    // virtual root so "./x.wasm" imports resolve between parts as they do on Cloudflare.
    const ordered = [...version.modules].sort((a, b) => (a.name === md.main_module ? -1 : b.name === md.main_module ? 1 : 0));
    opts.modulesRoot = "/cfstandin";
    opts.modules = ordered
      .filter((m) => moduleType(m.content_type))
      .map((m) => ({ type: moduleType(m.content_type), path: `/cfstandin/${m.name}`, contents: contents(m) }));
  } else {
    const main = version.modules.find((m) => m.name === md.body_part);
    opts.script = contents(main).toString("utf8");
    opts.modules = false;
  }
  if (version.assets && assetsDir) opts.assets = assetsOptions(version.assets.config ?? {}, assetsDir, (md.bindings ?? []).find((b) => b.type === "assets")?.name);
  for (const b of md.bindings ?? []) {
    switch (b.type) {
      case "assets":
        break; // bound through opts.assets
      case "plain_text":
      case "secret_text":
        opts.bindings[b.name] = b.text;
        break;
      case "json":
        opts.bindings[b.name] = b.json;
        break;
      case "kv_namespace":
        opts.kvNamespaces[b.name] = hub.binding("kv", b.namespace_id);
        break;
      case "r2_bucket":
        opts.r2Buckets[b.name] = hub.binding("r2", b.bucket_name);
        break;
      case "d1":
        opts.d1Databases[b.name] = hub.binding("d1", b.id);
        break;
      case "queue":
        opts.wrappedBindings[b.name] = { scriptName: QUEUE_PRODUCER_WORKER, bindings: { queue: b.queue_name } };
        break;
      case "service":
        opts.serviceBindings[b.name] = (request) => serviceFetch(b.service, request);
        break;
      case "durable_object_namespace":
        opts.durableObjects[b.name] = {
          className: b.class_name,
          useSQLite: doClasses[b.class_name].sqlite,
          // A stable key keeps the objects' storage across versions and redeploys.
          unsafeUniqueKey: doUniqueKey(accountId, script, b.class_name),
          ...(doHostWorker ? { scriptName: doHostWorker } : {}),
        };
        break;
      default:
        throw scriptInvalid(`binding '${b.name}' of type '${b.type}' is not supported by cfstandin`);
    }
  }
  return opts;
}

/**
 * Miniflare's `assets` option for a version: its directory, the binding, and run_worker_first
 * (true: every request reaches the Worker; a list of rules: those paths do, `!` rules go to the
 * assets) as the router's configuration.
 */
export function assetsOptions(config, directory, binding) {
  const first = config.run_worker_first;
  const routerConfig = { has_user_worker: true };
  if (first === true) routerConfig.invoke_user_worker_ahead_of_assets = true;
  else if (Array.isArray(first)) {
    routerConfig.static_routing = {
      user_worker: first.filter((r) => !r.startsWith("!")),
      asset_worker: first.filter((r) => r.startsWith("!")).map((r) => r.slice(1)),
    };
  }
  const assetConfig = {};
  for (const k of ["html_handling", "not_found_handling"]) if (config[k] !== undefined) assetConfig[k] = config[k];
  return { directory, ...(binding ? { binding } : {}), routerConfig, assetConfig };
}
