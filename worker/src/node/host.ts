// The node host: runs a bundle (scripts/bundle.mjs output) with the same runtime as
// PythonDO, against in-memory bindings. Used by tests and by bench/.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CloudflareBindings, ConnectFn } from "../bindings/cloudflare";
import { AppConfig, bindingsDescription, buildVfs, pythonEnviron } from "../runtime/config";
import { Logger, PythonInstance, consoleLogger } from "../runtime/instance";
import { Limits, PythonService, fetchThrough, limitsFromEnv } from "../runtime/service";
import { InstancePool, PoolLimits, poolLimitsFromEnv } from "../runtime/pool";
import { ISOLATE_NO_STORAGE, isDurableObjectPath, routingMode } from "../runtime/routing";
import { decodeHttpResponse, encodeHttpRequest } from "../runtime/frames";
import { bundleLinker } from "../runtime/dynlink";
import { MemoryDurableStorage } from "../runtime/storage";
import { TaskRunner } from "../runtime/tasks";
import { QueueBatchLike, deliverQueueBatch } from "../runtime/queue";
import { StdlibAssets } from "../runtime/stdlib";
import { HostError, STATUS } from "../runtime/bindings";
import { MemoryD1, MemoryKV, MemoryQueue, MemoryR2, nodeConnect } from "./fakes";

export interface LoadedBundle {
  manifest: any;
  module: WebAssembly.Module;
  stdlibZip: Uint8Array;
  appImage: Uint8Array;
  app: AppConfig;
  /** Side modules by guest path, compiled up front as workerd gets them (bundle.json `extensions` and `runtime_modules`). */
  sideModules: Map<string, WebAssembly.Module>;
  /** The stdlib modules the bundle keeps in static assets (bundle.json `assets`), read from its directory. */
  stdlib?: StdlibAssets;
}

/** The bundle's static assets (bundle.json `assets.directory`) read as the Worker's assets binding would. */
function bundleAssets(dir: string, manifest: any): StdlibAssets | undefined {
  if (!manifest.assets) return undefined;
  const root = join(dir, manifest.assets.directory);
  return new StdlibAssets(async (path) => {
    try {
      return new Uint8Array(readFileSync(join(root, path)));
    } catch (e) {
      throw new HostError(STATUS.IO, `reading the static asset ${path}: ${(e as Error).message}`);
    }
  });
}

/** Every side module a bundle ships: its C extensions and the runtime's own (bundle.json `runtime_modules`). */
function shippedSideModules(manifest: any): { path: string; module: string }[] {
  return [...(manifest.extensions ?? []), ...(manifest.runtime_modules ?? [])];
}

/** The file of the bundle that holds the side module CPython dlopen()s at `path` (the VFS has a stub there). */
export function sideModuleFile(dir: string, manifest: any, path: string): string | undefined {
  const ext = shippedSideModules(manifest).find((e) => e.path === path);
  return ext ? join(dir, ext.module) : undefined;
}

export async function loadBundle(dir: string): Promise<LoadedBundle> {
  const manifest = JSON.parse(readFileSync(join(dir, "bundle.json"), "utf8"));
  const module = await (WebAssembly as any).compile(readFileSync(join(dir, "python.wasm")));
  const sideModules = new Map<string, WebAssembly.Module>();
  for (const ext of shippedSideModules(manifest)) sideModules.set(ext.path, await (WebAssembly as any).compile(readFileSync(join(dir, ext.module))));
  return {
    manifest,
    module,
    stdlibZip: new Uint8Array(readFileSync(join(dir, "python313.zip"))),
    appImage: new Uint8Array(readFileSync(join(dir, "app.pvfs"))),
    app: manifest.app,
    sideModules,
    stdlib: bundleAssets(dir, manifest),
  };
}

export interface NodeHostOptions {
  bundle: LoadedBundle;
  /** Worker env: binding objects and string vars (PYMODE_BINDINGS_DECL etc.). */
  env: Record<string, unknown>;
  logger?: Logger;
  limits?: Limits;
  connect?: ConnectFn;
  fetch?: typeof fetch;
  role?: "main" | "thread";
  /** This host's Durable Object storage (default: in memory, alarms delivered by a timer). */
  storage?: MemoryDurableStorage;
  /**
   * Where fetch requests run, as the Worker's PYMODE_ROUTING says (worker/README.md "Routing policy"):
   * "isolate" (the default) a pool of instances in the isolate, "object" one instance serving one
   * request at a time as a PythonDO does. Queue batches, alarms and workflows always take the latter.
   */
  routing?: "isolate" | "object";
  pool?: PoolLimits;
}

/** The request the host sends Python when an alarm fires (docs/abi.md §7). */
export const ALARM_URL = "https://pymode.internal/__pymode/alarm";

export class NodeHost {
  readonly service: PythonService;
  /** Serves fetch requests under routing "isolate". */
  readonly pool: InstancePool | undefined;
  /** Like a PythonDO's ctx.storage: the reserved binding __pymode_do_storage__ and its alarm. */
  readonly storage: MemoryDurableStorage;
  /** Tasks run so far (pymode.parallel), each in a fresh instance. */
  tasksRun = 0;
  constructor(readonly opts: NodeHostOptions) {
    const { bundle, env } = opts;
    const logger = opts.logger ?? consoleLogger;
    const role = opts.role ?? "main";
    this.storage = opts.storage ?? new MemoryDurableStorage();
    this.storage.onAlarm = () => this.alarm();
    const create = (r: "main" | "thread", storage: MemoryDurableStorage | undefined, tasks: TaskRunner | undefined) =>
      PythonInstance.create({
        module: bundle.module,
        vfs: buildVfs(bundle.stdlibZip, bundle.appImage),
        bindings: new CloudflareBindings({
          env,
          connect: opts.connect ?? nodeConnect,
          fetch: opts.fetch,
          storage,
          noStorageReason: ISOLATE_NO_STORAGE,
          tasks,
          noTasksReason: "a task cannot spawn tasks (no nested fan-out)",
        }),
        env: pythonEnviron(bundle.app, bindingsDescription(env), r),
        preopens: bundle.app.preopens,
        asyncifyStackSize: bundle.app.asyncifyStackSize,
        driver: bundle.app.driver,
        logger,
        linker: bundleLinker(bundle.sideModules, bundle.app.soabi),
        stdlib: bundle.stdlib,
      });
    // pymode.parallel on the node host: every task in a fresh instance (role thread, own storage).
    const runner: TaskRunner = async (frames) => {
      this.tasksRun++;
      const inst = await create("thread", new MemoryDurableStorage(), undefined);
      try {
        return await inst.handle(frames);
      } finally {
        await inst.dispose();
      }
    };
    const limits = opts.limits ?? limitsFromEnv(env);
    this.service = new PythonService({
      name: "node-host",
      logger,
      limits,
      factory: () => create(role, this.storage, role === "main" ? runner : undefined),
    });
    // The isolate has no Durable Object storage (the workflow engine's lives in the "main" object).
    const routing = opts.routing ?? (routingMode(env, bundle.app.routing) === "isolate" ? "isolate" : "object");
    this.pool = routing === "isolate" && role === "main"
      ? new InstancePool({ limits, logger, pool: opts.pool ?? poolLimitsFromEnv(env), factory: () => create(role, undefined, runner) })
      : undefined;
  }
  fetch(request: Request): Promise<Response> {
    if (this.pool && !isDurableObjectPath(new URL(request.url).pathname)) return fetchThrough(this.pool, request);
    return this.service.fetch(request);
  }
  /** Deliver a queue batch to Python's on_queue, as the Worker's queue handler does; throws on failure. */
  queue(batch: QueueBatchLike): Promise<void> {
    return deliverQueueBatch(batch, (frames) => this.service.handleFrames(frames));
  }
  /** Deliver an alarm to Python, as PythonDO.alarm() does; throws (→ retry) on a 5xx. */
  async alarm(): Promise<void> {
    const frames = encodeHttpRequest({ method: "POST", url: ALARM_URL, headers: [] }, new Uint8Array(0));
    const { head } = decodeHttpResponse(await this.service.handleFrames(frames));
    if (head.status >= 500) throw new Error(`alarm: python answered ${head.status}`);
  }
  dispose(): void {
    this.storage.dispose();
  }
}

/**
 * An env with one binding of each declared kind: MY_KV, FILES (R2), DB (D1), JOBS (a MemoryQueue
 * named "jobs"; attach a consumer to deliver), OTHER (a service binding answering with `other`, by
 * default 503), plus the declaration var.
 */
export async function memoryEnv(extra: Record<string, unknown> = {}, other?: (request: Request) => Promise<Response>): Promise<Record<string, unknown>> {
  return {
    MY_KV: new MemoryKV(),
    FILES: new MemoryR2(),
    DB: await MemoryD1.create(),
    JOBS: new MemoryQueue("jobs"),
    OTHER: { fetch: (input: RequestInfo | URL, init?: RequestInit) => (other ? other(new Request(input, init)) : Promise.resolve(new Response("no service", { status: 503 }))) },
    PYMODE_BINDINGS_DECL: JSON.stringify({ MY_KV: "kv", FILES: "r2", DB: "d1", JOBS: "queue", OTHER: "service" }),
    ...extra,
  };
}
