// Runs a bundle (scripts/bundle.mjs output) in workerd through Miniflare's API, with real
// (local) KV, R2 and D1, and captures the worker's console output.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Miniflare } from "miniflare";
import { Host, otherWorker } from "./scenarios";

export interface WorkerdHandle {
  mf: Miniflare;
  url: URL;
  logs: string[];
  env: Record<string, any>;
  dispose(): Promise<void>;
}

/** A bundle started in workerd as the scenario suites drive it: requests to its URL, its MY_KV binding, its logs. */
export function workerdHost(h: WorkerdHandle): Host {
  return {
    fetch: (path, init) => fetch(new URL(path, h.url), init),
    kvPut: (k, v) => h.env.MY_KV.put(k, v),
    logs: () => h.logs,
  };
}

export async function startBundle(dir: string, vars: Record<string, string> = {}): Promise<WorkerdHandle> {
  const manifest = JSON.parse(readFileSync(join(dir, "bundle.json"), "utf8"));
  const typeOf: Record<string, "ESModule" | "CompiledWasm" | "Data"> = { esm: "ESModule", "compiled-wasm": "CompiledWasm", data: "Data" };
  const logs: string[] = [];
  const collect = (s: NodeJS.ReadableStream) => {
    let buf = "";
    s.on("data", (d) => {
      buf += d.toString();
      const lines = buf.split("\n");
      buf = lines.pop() ?? "";
      logs.push(...lines);
    });
  };
  const mf = new Miniflare({
    modulesRoot: dir,
    modules: manifest.modules.map((m: any) => ({ type: typeOf[m.type]!, path: join(dir, m.name), contents: readFileSync(join(dir, m.name)) })),
    compatibilityDate: manifest.compatibility_date,
    compatibilityFlags: manifest.compatibility_flags,
    durableObjects: Object.fromEntries(manifest.durable_objects.map((d: any) => [d.binding, d.class_name])),
    kvNamespaces: ["MY_KV"],
    r2Buckets: ["FILES"],
    d1Databases: ["DB"],
    // The worker produces to queue "jobs" and consumes it; OTHER is a service binding to a function.
    queueProducers: { JOBS: "jobs" },
    queueConsumers: { jobs: { maxBatchSize: 10, maxBatchTimeout: 1, maxRetries: 2 } },
    serviceBindings: { OTHER: otherWorker },
    // the stdlib modules an assets bundle keeps out of its upload, read through its assets binding, as on Cloudflare
    ...(manifest.assets
      ? { assets: { directory: join(dir, manifest.assets.directory), binding: manifest.assets.binding, routerConfig: { has_user_worker: true, invoke_user_worker_ahead_of_assets: true } } }
      : {}),
    bindings: { PYMODE_BINDINGS_DECL: JSON.stringify({ MY_KV: "kv", FILES: "r2", DB: "d1", JOBS: "queue", OTHER: "service" }), ...vars },
    host: "127.0.0.1",
    port: 0,
    handleRuntimeStdio(stdout, stderr) {
      collect(stdout);
      collect(stderr);
    },
  });
  const url = await mf.ready;
  const env = {
    MY_KV: await mf.getKVNamespace("MY_KV"),
    FILES: await mf.getR2Bucket("FILES"),
    DB: await mf.getD1Database("DB"),
  };
  return { mf, url, logs, env, dispose: () => mf.dispose() };
}
