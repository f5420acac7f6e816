// Building the interpreter's environment: VFS layout, WASI environ and the PYMODE_BINDINGS
// description (docs/abi.md §6; worker/README.md "Bindings description").

import { Vfs } from "./vfs";
import { DECLARED_KINDS, bindingKind } from "../bindings/registry";

/** A declared binding kind of the registry (src/bindings/registry.ts), or a var/secret string. */
export type BindingType = string;
export interface BindingDescription {
  type: BindingType;
  value?: string;
}

/** Configuration baked into a bundle by scripts/bundle.mjs (bundle.json "app"). */
export interface AppConfig {
  /** Entry path relative to the project root, e.g. "src/entry.py". */
  entry: string;
  /** WASI preopened directories in fd order from 3 (must match a Wizer snapshot's). */
  preopens: string[];
  /** Asyncify data buffer size in bytes. */
  asyncifyStackSize: number;
  /** Extra environment variables for the interpreter. */
  pythonEnv: Record<string, string>;
  /** How async host calls suspend python.wasm, chosen at bundle time: "jspi" or "asyncify" (scripts/bundle.mjs chooseDriver). */
  driver?: "asyncify" | "jspi";
  /** The runtime's SOABI, checked against each side module's `pymode.abi` section. */
  soabi?: string;
  /** The project's routing (`[tool.pymode] routing`); the worker var PYMODE_ROUTING overrides it. */
  routing?: string;
  /** Set when the bundle keeps stdlib modules in static assets (scripts/stdlib-assets.mjs): the assets binding. */
  stdlibAssets?: { binding: string };
}

export const DEFAULT_APP_CONFIG: AppConfig = {
  entry: "src/entry.py",
  // The order builder-image/runtime/snapshot.sh gives Wizer (fds 3, 4, 5): a snapshot's wasi-libc
  // preopen table must match. /tmp (fd 6) is extra and only visible to un-snapshotted instances.
  preopens: ["/lib", "/lib/site", "/app", "/tmp"],
  asyncifyStackSize: 1 << 20,
  pythonEnv: {},
};

const KINDS = new Set([...DECLARED_KINDS, "var", "secret"]);
/** A name Python reads as `env.NAME` (the spec's rule, NamedBinding.PYTHON_IDENTIFIER on the operator's side). */
const PYTHON_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Worker vars that configure the host itself and are not shown to Python as bindings. */
export const HOST_VARS = new Set([
  "PYMODE_BINDINGS_DECL",
  "PYMODE_ROUTING",
  "PYMODE_SHARDS",
  "PYMODE_SHARD_KEY",
  "PYMODE_MAX_REQUEST_BYTES",
  "PYMODE_MAX_RESPONSE_BYTES",
  "PYMODE_MAX_HTTP_RESPONSE_BYTES",
  "PYMODE_REQUEST_TIMEOUT_MS",
  "PYMODE_MAX_QUEUE",
  "PYMODE_MAX_PYTHON_STEPS",
  "PYMODE_SCHEDULES",
  "PYMODE_POOL_MEMORY_MB",
  "PYMODE_POOL_MAX_INSTANCES",
  "PYMODE_POOL_CONCURRENCY",
  "PYMODE_POOL_MAX_REQUESTS",
  "PYMODE_POOL_INSTANCE_MEMORY_MB",
]);

/**
 * The PYMODE_BINDINGS JSON for Python: declared bindings (PYMODE_BINDINGS_DECL, e.g.
 * {"MY_KV":"kv","FILES":"r2","DB":"d1","JOBS":"queue","OTHER":"service","TOKEN":"secret"}; the
 * kinds are the declared kinds of the binding-kind registry) plus every other plain string
 * env value as a var (a declared "secret" keeps its kind). Throws on a malformed declaration,
 * a declared binding that is missing from env, or a name Python cannot read as `env.NAME`.
 *
 * This is the one check of the description (schemas/worker-vars/bindings.schema.json): Python's
 * pymode.env takes the host's PYMODE_BINDINGS as it is written here, without checking it again.
 */
export function bindingsDescription(env: Record<string, unknown>): Record<string, BindingDescription> {
  let decl: Record<string, string> = {};
  const raw = env.PYMODE_BINDINGS_DECL;
  if (raw !== undefined && raw !== "") {
    try {
      decl = typeof raw === "string" ? JSON.parse(raw) : (raw as Record<string, string>);
    } catch (e) {
      throw new Error(`PYMODE_BINDINGS_DECL is not valid JSON: ${(e as Error).message}`);
    }
    if (!decl || typeof decl !== "object" || Array.isArray(decl)) throw new Error("PYMODE_BINDINGS_DECL must be a JSON object {NAME: kind}");
  }
  const out: Record<string, BindingDescription> = {};
  for (const [name, kind] of Object.entries(decl)) {
    if (!PYTHON_IDENTIFIER.test(name)) throw new Error(`PYMODE_BINDINGS_DECL: ${name} is not a Python identifier (Python reads a binding as env.NAME)`);
    if (!KINDS.has(kind)) throw new Error(`PYMODE_BINDINGS_DECL: ${name} has unknown kind ${JSON.stringify(kind)} (${[...KINDS].join(", ")})`);
    const v = env[name];
    if (v === undefined) throw new Error(`PYMODE_BINDINGS_DECL declares ${name} (${kind}) but the worker has no such binding`);
    if (kind === "var" || kind === "secret") {
      if (typeof v !== "string") throw new Error(`PYMODE_BINDINGS_DECL: ${name} is declared ${kind} but is not a string`);
      out[name] = { type: kind, value: v };
    } else {
      const k = bindingKind(kind)!;
      if (k.scope === "declared" && !k.isBinding(v)) throw new Error(`PYMODE_BINDINGS_DECL declares ${name} a ${k.label} (${kind}) but the worker's ${name} is not one`);
      out[name] = { type: kind };
    }
  }
  for (const [name, v] of Object.entries(env)) {
    if (name in out || HOST_VARS.has(name) || typeof v !== "string") continue;
    if (!PYTHON_IDENTIFIER.test(name)) throw new Error(`the worker's var ${name} is not a Python identifier (Python reads a var as env.NAME)`);
    out[name] = { type: "var", value: v };
  }
  return out;
}

export function pythonEnviron(app: AppConfig, bindings: Record<string, BindingDescription>, role: "main" | "thread"): Record<string, string> {
  return {
    PYTHONHOME: "/",
    PYTHONPATH: "/lib/site:/app",
    PYTHONDONTWRITEBYTECODE: "1",
    PYTHONUNBUFFERED: "1",
    PYMODE_ENTRY: app.entry,
    PYMODE_BINDINGS: JSON.stringify(bindings),
    PYMODE_ROLE: role,
    ...app.pythonEnv,
  };
}

/** The interpreter's file tree: /lib/python313.zip, the app image (/lib/site/**, /app/**), writable /tmp. */
export function buildVfs(stdlibZip: Uint8Array, appImage: Uint8Array | undefined): Vfs {
  const vfs = new Vfs();
  vfs.addFile("/lib/python313.zip", stdlibZip);
  vfs.mkdirp("/lib/site");
  vfs.mkdirp("/app");
  if (appImage) vfs.mountImage(appImage);
  vfs.mkdirp("/tmp", true);
  return vfs;
}
