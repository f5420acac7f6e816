// Cloudflare Worker entry: a stateless fetch handler that serialises the request into
// frames and routes it to a PythonDO, plus the PythonDO and ThreadDO Durable Objects.
//
// Module imports resolved at upload time (see scripts/bundle.mjs and worker/README.md):
//   ./python.wasm    CompiledWasm  (Workers cannot compile wasm from bytes at run time)
//   ./python313.zip  Data          (stdlib, mounted at /lib/python313.zip)
//   ./app.pvfs       Data          (VFS image: /lib/site/** and /app/**)

import { DurableObject } from "cloudflare:workers";
import { connect } from "cloudflare:sockets";
import pythonWasm from "./python.wasm";
import stdlibZip from "./python313.zip";
import appImage from "./app.pvfs";

import { CloudflareBindings } from "./bindings/cloudflare";
import { ExtendedBindings } from "./runtime/hostext";
import { threadDoRunner } from "./runtime/tasks";
import { AppConfig, DEFAULT_APP_CONFIG, bindingsDescription, buildVfs, pythonEnviron } from "./runtime/config";
import { SCHEDULES_VAR, parseSchedules, runsForFiring } from "./runtime/schedules";
import { PythonInstance, consoleLogger } from "./runtime/instance";
import { decodeHttpResponse, encodeHttpRequest } from "./runtime/frames";
import {
  BodyTooLarge,
  FRAMES_CONTENT_TYPE,
  PythonService,
  errorResponseFrames,
  framesToResponse,
  limitsFromEnv,
  readBody,
  requestToFrames,
} from "./runtime/service";

declare const __PYMODE_APP_CONFIG__: AppConfig | undefined;
const APP: AppConfig = typeof __PYMODE_APP_CONFIG__ === "undefined" ? DEFAULT_APP_CONFIG : __PYMODE_APP_CONFIG__;

export interface Env {
  PYTHON_DO: DurableObjectNamespace<PythonDO>;
  THREAD_DO?: DurableObjectNamespace<ThreadDO>;
  PYMODE_BINDINGS_DECL?: string;
  /** "single" (default) | "sharded" | "per-request" */
  PYMODE_ROUTING?: string;
  PYMODE_SHARDS?: string;
  PYMODE_SHARD_KEY?: string;
  PYMODE_MAX_REQUEST_BYTES?: string;
  PYMODE_MAX_RESPONSE_BYTES?: string;
  PYMODE_MAX_HTTP_RESPONSE_BYTES?: string;
  /** What each cron trigger starts (src/runtime/schedules.ts), set by the operator. */
  PYMODE_SCHEDULES?: string;
  PYMODE_WORKFLOW_TOKEN?: string;
  [name: string]: unknown;
}

const stdlibBytes = new Uint8Array(stdlibZip as ArrayBuffer);
const appBytes = new Uint8Array(appImage as ArrayBuffer);

function newInstance(env: Env, role: "main" | "thread", storage: DurableObjectStorage): Promise<PythonInstance> {
  const desc = bindingsDescription(env);
  const maxHttp = env.PYMODE_MAX_HTTP_RESPONSE_BYTES ? Number(env.PYMODE_MAX_HTTP_RESPONSE_BYTES) : undefined;
  // docs/abi.md §7: __pymode_do_storage__ is this object's storage; the http op "tasks" fans out
  // to ThreadDOs (only from PythonDO: tasks do not spawn tasks).
  const tasks = role === "main" && env.THREAD_DO ? threadDoRunner(env.THREAD_DO) : undefined;
  const noTasksReason = role === "thread" ? "a task cannot spawn tasks (no nested fan-out)" : "the worker has no THREAD_DO binding";
  return PythonInstance.create({
    module: pythonWasm as WebAssembly.Module,
    vfs: buildVfs(stdlibBytes, appBytes),
    bindings: new ExtendedBindings(new CloudflareBindings({ env, connect, maxHttpResponseBytes: maxHttp }), { storage, tasks, noTasksReason }),
    env: pythonEnviron(APP, desc, role),
    preopens: APP.preopens,
    asyncifyStackSize: APP.asyncifyStackSize,
    driver: APP.driver,
    logger: consoleLogger,
  });
}

function framesResponse(frames: Uint8Array): Response {
  return new Response(frames, { headers: { "content-type": FRAMES_CONTENT_TYPE } });
}

/** Shared by both DO classes: RPC `handleFrames` and an HTTP form (POST frames → frames). */
abstract class PythonHostDO extends DurableObject<Env> {
  protected readonly service: PythonService;

  constructor(ctx: DurableObjectState, env: Env, role: "main" | "thread") {
    super(ctx, env);
    const limits = limitsFromEnv(env);
    this.service = new PythonService({ factory: () => newInstance(env, role, ctx.storage), limits, name: role === "main" ? "PythonDO" : "ThreadDO" });
  }

  /** A Durable Object alarm (set by pymode.workflows through the storage binding's `alarm` op). */
  async alarm(): Promise<void> {
    const frames = encodeHttpRequest({ method: "POST", url: ALARM_URL, headers: [] }, new Uint8Array(0));
    const { head, body } = decodeHttpResponse(await this.service.handleFrames(frames));
    // Throwing makes Cloudflare retry the alarm (exponential backoff, up to 6 times).
    if (head.status >= 500) throw new Error(`alarm: python answered ${head.status}: ${new TextDecoder().decode(body).slice(0, 500)}`);
  }

  /** RPC: request frames in, response frames out (never throws for Python or trap errors). */
  async handleFrames(frames: Uint8Array | ArrayBuffer): Promise<Uint8Array> {
    return this.service.handleFrames(frames instanceof Uint8Array ? frames : new Uint8Array(frames));
  }

  /** RPC: counters for diagnostics and tests. */
  async stats(): Promise<PythonService["stats"]> {
    return this.service.stats;
  }

  async fetch(request: Request): Promise<Response> {
    const ct = request.headers.get("content-type") ?? "";
    if (request.method === "POST" && ct.startsWith(FRAMES_CONTENT_TYPE)) {
      let frames: Uint8Array;
      try {
        // Frames add 4 bytes per field and a JSON head; allow 1 MiB over the body limit for them.
        frames = await readBody(request.body, this.service.limits.maxRequestBytes + (1 << 20));
      } catch (e) {
        if (e instanceof BodyTooLarge) return framesResponse(errorResponseFrames(413, "request body too large", `limit ${e.limit} bytes`));
        throw e;
      }
      return framesResponse(await this.service.handleFrames(frames));
    }
    return this.service.fetch(request);
  }
}

/** Runs the project's on_fetch: one warm python.wasm instance per object, requests serialised. */
export class PythonDO extends PythonHostDO {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, "main");
  }
}

/**
 * Runs one `pymode.parallel` task in its own instance (own CPU budget). Protocol: the caller
 * POSTs request frames (content-type application/vnd.pymode.frames) or calls RPC
 * `handleFrames(frames)`; the frames are handed to pymode_handle unchanged with PYMODE_ROLE=thread.
 * See worker/README.md "ThreadDO protocol".
 */
export class ThreadDO extends PythonHostDO {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, "thread");
  }
}

/**
 * The request the host sends Python when a Durable Object alarm fires (docs/abi.md §7).
 * Not exported: workerd takes every export of the main module for an entrypoint and refuses to start.
 */
const ALARM_URL = "https://pymode.internal/__pymode/alarm";
const WORKFLOW_RUN_URL = "https://pymode.internal/workflow/run";
/** Paths served by pymode.workflows; always routed to the "main" PythonDO, where run records live. */
const WORKFLOW_PATHS = new Set(["/workflow/run", "/workflow/status", "/workflow/resume", "/workflow/runs"]);

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Pick the PythonDO for a request (worker/README.md "Routing policy"). */
export function routeId(env: Env, request: Request): DurableObjectId {
  const mode = env.PYMODE_ROUTING ?? "single";
  const ns = env.PYTHON_DO;
  if (WORKFLOW_PATHS.has(new URL(request.url).pathname)) return ns.idFromName("main");
  if (mode === "single") return ns.idFromName("main");
  if (mode === "per-request") return ns.newUniqueId();
  if (mode === "sharded") {
    const n = Number(env.PYMODE_SHARDS ?? "4");
    if (!Number.isInteger(n) || n < 1) throw new Error(`PYMODE_SHARDS must be a positive integer, got ${JSON.stringify(env.PYMODE_SHARDS)}`);
    const keyHeader = env.PYMODE_SHARD_KEY;
    const key = keyHeader ? request.headers.get(keyHeader) : null;
    const shard = key === null ? Math.floor(Math.random() * n) : fnv1a(key) % n;
    return ns.idFromName(`shard-${shard}`);
  }
  throw new Error(`PYMODE_ROUTING must be "single", "sharded" or "per-request", got ${JSON.stringify(mode)}`);
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    // /__pymode/* is the host's own channel to Python (tasks, alarms); clients cannot reach it.
    if (new URL(request.url).pathname.startsWith("/__pymode/")) return new Response("Not Found", { status: 404 });
    let frames: Uint8Array;
    try {
      frames = await requestToFrames(request, limitsFromEnv(env));
    } catch (e) {
      if (e instanceof BodyTooLarge) return framesToResponse(errorResponseFrames(413, "request body too large", `limit ${e.limit} bytes`));
      throw e;
    }
    let out: Uint8Array;
    try {
      const stub = env.PYTHON_DO.get(routeId(env, request));
      out = await stub.handleFrames(frames);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      console.error(`[pymode host] PythonDO call failed: ${msg}`);
      return framesToResponse(errorResponseFrames(503, "python runtime unavailable", msg));
    }
    return framesToResponse(out);
  },

  /**
   * A Cloudflare cron trigger: start the workflow runs PYMODE_SCHEDULES lists for this cron, in the
   * "main" PythonDO where run records live. Throwing marks the invocation failed in Cloudflare's
   * cron history; a run that Forbid skipped is a success.
   */
  async scheduled(controller: ScheduledController, env: Env): Promise<void> {
    const runs = runsForFiring(parseSchedules(env[SCHEDULES_VAR]), controller.cron, controller.scheduledTime);
    if (runs.length === 0) {
      console.warn(`[pymode host] cron ${JSON.stringify(controller.cron)} fired but ${SCHEDULES_VAR} starts nothing for it`);
      return;
    }
    const headers: [string, string][] = [["content-type", "application/json"]];
    if (typeof env.PYMODE_WORKFLOW_TOKEN === "string" && env.PYMODE_WORKFLOW_TOKEN) {
      headers.push(["authorization", `Bearer ${env.PYMODE_WORKFLOW_TOKEN}`]);
    }
    const stub = env.PYTHON_DO.get(env.PYTHON_DO.idFromName("main"));
    const failures: string[] = [];
    for (const run of runs) {
      const frames = encodeHttpRequest({ method: "POST", url: WORKFLOW_RUN_URL, headers }, new TextEncoder().encode(JSON.stringify(run)));
      const { head, body } = decodeHttpResponse(await stub.handleFrames(frames));
      const answer = new TextDecoder().decode(body).slice(0, 500);
      if (head.status >= 400) failures.push(`${run.workflow} ${run.id}: HTTP ${head.status} ${answer}`);
      else console.log(`[pymode host] cron ${controller.cron}: workflow ${run.workflow} run ${run.id}: ${answer}`);
    }
    if (failures.length) throw new Error(`cron ${controller.cron}: ${failures.join("; ")}`);
  },
} satisfies ExportedHandler<Env>;
