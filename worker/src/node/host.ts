// The node host: runs a bundle (scripts/bundle.mjs output) with the same runtime as
// PythonDO, against in-memory bindings. Used by tests and by bench/.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CloudflareBindings, ConnectFn } from "../bindings/cloudflare";
import { AppConfig, bindingsDescription, buildVfs, pythonEnviron } from "../runtime/config";
import { Logger, PythonInstance, consoleLogger } from "../runtime/instance";
import { Limits, PythonService, limitsFromEnv } from "../runtime/service";
import { MemoryD1, MemoryKV, MemoryR2, nodeConnect } from "./fakes";

export interface LoadedBundle {
  manifest: any;
  module: WebAssembly.Module;
  stdlibZip: Uint8Array;
  appImage: Uint8Array;
  app: AppConfig;
}

export async function loadBundle(dir: string): Promise<LoadedBundle> {
  const manifest = JSON.parse(readFileSync(join(dir, "bundle.json"), "utf8"));
  const module = await (WebAssembly as any).compile(readFileSync(join(dir, "python.wasm")));
  return {
    manifest,
    module,
    stdlibZip: new Uint8Array(readFileSync(join(dir, "python313.zip"))),
    appImage: new Uint8Array(readFileSync(join(dir, "app.pvfs"))),
    app: manifest.app,
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
}

export class NodeHost {
  readonly service: PythonService;
  constructor(readonly opts: NodeHostOptions) {
    const { bundle, env } = opts;
    const logger = opts.logger ?? consoleLogger;
    this.service = new PythonService({
      name: "node-host",
      logger,
      limits: opts.limits ?? limitsFromEnv(env),
      factory: () =>
        PythonInstance.create({
          module: bundle.module,
          vfs: buildVfs(bundle.stdlibZip, bundle.appImage),
          bindings: new CloudflareBindings({ env, connect: opts.connect ?? nodeConnect, fetch: opts.fetch }),
          env: pythonEnviron(bundle.app, bindingsDescription(env), opts.role ?? "main"),
          preopens: bundle.app.preopens,
          asyncifyStackSize: bundle.app.asyncifyStackSize,
          driver: bundle.app.driver,
          logger,
        }),
    });
  }
  fetch(request: Request): Promise<Response> {
    return this.service.fetch(request);
  }
}

/** An env with one binding of each kind: MY_KV, FILES (R2), DB (D1), plus the declaration var. */
export async function memoryEnv(extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  return {
    MY_KV: new MemoryKV(),
    FILES: new MemoryR2(),
    DB: await MemoryD1.create(),
    PYMODE_BINDINGS_DECL: JSON.stringify({ MY_KV: "kv", FILES: "r2", DB: "d1" }),
    ...extra,
  };
}
