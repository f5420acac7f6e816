#!/usr/bin/env node
// PyMode worker benchmark (a program that prints figures; not a test).
//
//   node bench/run.mjs [--quick] [--no-pyodide] [--no-snapshot] [--no-jspi] [--runtime DIR]
//
// For a trivial handler (hello) and a KV handler (kv), under the JSPI and the Asyncify driver, with and without a Wizer snapshot
// (builder-image/runtime/snapshot.sh), and under JSPI also with the stdlib in static assets (`+assets`, bundle.mjs --stdlib-assets):
//   - cold start in workerd: raw `workerd serve` process spawn → first Python response (hello),
//     and Miniflare start → first Python response (hello, kv; Miniflare adds its own node-side setup): issue #13's
//     (b) a fresh isolate with a snapshot, (c) without one; and (a) a request served by a new instance in a warm isolate
//     (PYMODE_POOL_MAX_REQUESTS=1: every request starts one)
//   - warm in workerd: sequential p50/p99 and req/s at concurrency 8 (the default routing: the Worker isolate's pool)
//   - node host (in-process): instance create (instantiate + pymode_init), warm p50/p99, req/s
//   - Pyodide (npm pyodide, node): loadPyodide → first response, warm p50/p99, req/s, same handlers
// Only loopback traffic; every loop is bounded by count and time.
import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync, readFileSync, mkdirSync, cpSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { Miniflare } from "miniflare";
import { bundle, defaultRuntimeDir, DRIVER_WASM, writeSplitStdlib } from "../scripts/bundle.mjs";
import { importNodeHost } from "../scripts/serve-node.mjs";
import { f1, median, seqLatency, throughput } from "./stats.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const workerDir = resolve(here, "..");
const repo = resolve(workerDir, "..");
const args = process.argv.slice(2);
const quick = args.includes("--quick");
const runtimeDir = args.includes("--runtime") ? resolve(args[args.indexOf("--runtime") + 1]) : defaultRuntimeDir();
const SEQ = quick ? 100 : 300;
const CONC_SECONDS = quick ? 2 : 4;
const COLD_RUNS = quick ? 2 : 3;

const require = createRequire(import.meta.url);
const tmp = mkdtempSync(join(tmpdir(), "pymode-bench-"));
const results = [];

async function check(r, expect) {
  const text = await r.text();
  if (r.status !== 200 || !text.includes(expect)) throw new Error(`unexpected response ${r.status}: ${text.slice(0, 300)}`);
}

// ---------------------------------------------------------------- bundles (+ snapshots)
// With `assets`, the snapshot of a --stdlib-assets bundle: made with the split stdlib it ships (bundle.mjs --split-stdlib).
function snapshot(app, wasmName, assets = false) {
  const out = join(tmp, `${app}-${wasmName}${assets ? "-assets" : ""}.snapshot.wasm`);
  const site = join(tmp, `site-${app}`);
  mkdirSync(site, { recursive: true });
  cpSync(join(repo, "pylib", "pymode"), join(site, "pymode"), { recursive: true });
  const stdlib = assets ? writeSplitStdlib(runtimeDir, "init", join(tmp, `stdlib-split-${app}`)).zip : join(runtimeDir, "python313.zip");
  const t0 = performance.now();
  execFileSync("bash", [join(repo, "builder-image/runtime/snapshot.sh"), "--wasm", join(runtimeDir, wasmName), "--stdlib", stdlib,
    "--dynload", join(runtimeDir, "lib-dynload"), "--site", site, "--app", join(here, "apps", app), "-o", out], { stdio: ["ignore", "ignore", "pipe"] });
  return { path: out, seconds: (performance.now() - t0) / 1000 };
}

const APPS = { hello: "Hello from PyMode!", kv: '"hello":"bench"' };
const variants = [];
// Each app under both suspension drivers (bundle.mjs chooseDriver): Asyncify (python.wasm, the baseline)
// and JSPI (the plain python-noasync.wasm, the deploy default; workerd only), each with and without a snapshot.
const DRIVERS = args.includes("--no-jspi") ? ["asyncify"] : ["asyncify", "jspi"];
// Under JSPI also with the stdlib in static assets (bundle.mjs --stdlib-assets): the builder's default, with a snapshot.
for (const app of Object.keys(APPS)) {
  for (const driver of DRIVERS) {
    const jspi = driver === "jspi";
    for (const assets of jspi ? [false, true] : [false]) {
      const tag = `${app}-${driver}${assets ? "-assets" : ""}`;
      const out = join(tmp, `bundle-${tag}`);
      await bundle({ runtime: runtimeDir, project: join(here, "apps", app), out, driver, stdlibAssets: assets });
      variants.push({ app, snap: false, jspi, assets, dir: out });
      if (args.includes("--no-snapshot")) continue;
      try {
        const s = snapshot(app, DRIVER_WASM[driver], assets);
        const sout = join(tmp, `bundle-${tag}-snap`);
        await bundle({ runtime: runtimeDir, project: join(here, "apps", app), out: sout, wasm: s.path, driver, stdlibAssets: assets });
        variants.push({ app, snap: true, jspi, assets, dir: sout, snapSeconds: s.seconds });
      } catch (e) {
        console.error(`[bench] ${tag} snapshot failed: ${String(e.stderr ?? e.message).trim().split("\n").slice(-3).join(" | ")}`);
      }
    }
  }
}

// ---------------------------------------------------------------- raw workerd cold start
const workerdBin = join(workerDir, "node_modules", "workerd", "bin", "workerd");
async function freePort() {
  const net = await import("node:net");
  return new Promise((res) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const p = s.address().port;
      s.close(() => res(p));
    });
  });
}
async function rawWorkerdCold(v) {
  const m = JSON.parse(readFileSync(join(v.dir, "bundle.json"), "utf8"));
  const port = await freePort();
  const kind = { esm: "esModule", "compiled-wasm": "wasm", data: "data" };
  const capnp = `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .w), (name = "internet", network = (allow = ["public", "private", "local"])) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const w :Workerd.Worker = (
  modules = [ ${m.modules.map((x) => `(name = "${x.name}", ${kind[x.type]} = embed "${x.name}")`).join(", ")} ],
  compatibilityDate = "${m.compatibility_date}",
  bindings = [ (name = "PYTHON_DO", durableObjectNamespace = "PythonDO"), (name = "THREAD_DO", durableObjectNamespace = "ThreadDO") ],
  durableObjectNamespaces = [ (className = "PythonDO", uniqueKey = "pymode-python"), (className = "ThreadDO", uniqueKey = "pymode-thread") ],
  durableObjectStorage = (inMemory = void),
);
`;
  const cfg = join(v.dir, `workerd.capnp`); // embed paths are relative to the config file
  writeFileSync(cfg, capnp);
  const t0 = performance.now();
  const child = spawn(workerdBin, ["serve", cfg, "--experimental"], { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  let exited = false;
  child.stderr.on("data", (d) => (err += d));
  child.once("exit", () => (exited = true));
  try {
    for (;;) {
      if (exited) throw new Error(`workerd exited: ${err.slice(-800)}`);
      if (performance.now() - t0 > 30_000) throw new Error(`workerd did not answer in 30 s: ${err.slice(-500)}`);
      try {
        const r = await fetch(`http://127.0.0.1:${port}/`);
        await check(r, APPS[v.app]);
        const total = performance.now() - t0;
        const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
        return { total, rss };
      } catch (e) {
        if (!/ECONNREFUSED|fetch failed/.test(String(e.cause?.code ?? e.message))) throw e;
        await new Promise((r) => setTimeout(r, 2));
      }
    }
  } finally {
    if (!exited) {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    }
  }
}

// ---------------------------------------------------------------- Miniflare (workerd) runs
async function miniflareRun(v) {
  const m = JSON.parse(readFileSync(join(v.dir, "bundle.json"), "utf8"));
  const type = { esm: "ESModule", "compiled-wasm": "CompiledWasm", data: "Data" };
  const colds = [];
  let warm;
  const start = (vars = {}) =>
    new Miniflare({
      modulesRoot: v.dir,
      modules: m.modules.map((x) => ({ type: type[x.type], path: join(v.dir, x.name), contents: readFileSync(join(v.dir, x.name)) })),
      compatibilityDate: m.compatibility_date,
      durableObjects: { PYTHON_DO: "PythonDO", THREAD_DO: "ThreadDO" },
      kvNamespaces: ["MY_KV"],
      bindings: { PYMODE_BINDINGS_DECL: JSON.stringify({ MY_KV: "kv" }), ...vars },
      // the stdlib modules a --stdlib-assets bundle reads through its assets binding, as on Cloudflare
      ...(m.assets ? { assets: { directory: join(v.dir, m.assets.directory), binding: m.assets.binding, routerConfig: { has_user_worker: true, invoke_user_worker_ahead_of_assets: true } } } : {}),
      host: "127.0.0.1",
      port: 0,
      handleRuntimeStdio() {},
    });
  for (let run = 0; run < COLD_RUNS; run++) {
    const t0 = performance.now();
    const mf = start();
    try {
      const url = await mf.ready;
      const tReady = performance.now();
      if (v.app === "kv") await (await mf.getKVNamespace("MY_KV")).put("key", JSON.stringify({ hello: "bench" }));
      const t1 = performance.now();
      await check(await fetch(url), APPS[v.app]);
      const tFirst = performance.now();
      colds.push({ ready: tReady - t0, first: tFirst - t1, total: tReady - t0 + (tFirst - t1) });
      if (run === COLD_RUNS - 1) {
        const hit = async () => check(await fetch(url), APPS[v.app]);
        for (let i = 0; i < 20; i++) await hit();
        const lat = await seqLatency(hit, SEQ);
        const rps = await throughput(hit, 8, CONC_SECONDS);
        warm = { ...lat, rps };
      }
    } finally {
      await mf.dispose();
    }
  }
  // (a) of issue #13: a new Python instance in an isolate that has the module already. With one request per
  // instance (PYMODE_POOL_MAX_REQUESTS=1) every request starts one (from the snapshot, or through pymode_init).
  const mf = start({ PYMODE_POOL_MAX_REQUESTS: "1" });
  let newInstance;
  try {
    const url = await mf.ready;
    if (v.app === "kv") await (await mf.getKVNamespace("MY_KV")).put("key", JSON.stringify({ hello: "bench" }));
    const hit = async () => check(await fetch(url), APPS[v.app]);
    for (let i = 0; i < 3; i++) await hit();
    newInstance = await seqLatency(hit, quick ? 15 : 40);
  } finally {
    await mf.dispose();
  }
  return {
    ready: median(colds.map((c) => c.ready)),
    first: median(colds.map((c) => c.first)),
    total: median(colds.map((c) => c.total)),
    newInstance: newInstance.p50,
    ...warm,
  };
}

// ---------------------------------------------------------------- node host
async function nodeHostRun(v) {
  const { loadBundle, memoryEnv, NodeHost } = await importNodeHost();
  const t0 = performance.now();
  const b = await loadBundle(v.dir);
  const tCompile = performance.now();
  const env = await memoryEnv({ PYMODE_BINDINGS_DECL: JSON.stringify({ MY_KV: "kv" }) });
  await env.MY_KV.put("key", JSON.stringify({ hello: "bench" }));
  // One instance, warmed before the first request (host.service), as these rows have always measured; under the
  // default isolate routing the first request would start a pool instance of its own inside its stack instead.
  const host = new NodeHost({ bundle: b, env, logger: () => {}, routing: "object" });
  const t1 = performance.now();
  await host.service.warm();
  const tInit = performance.now();
  const hit = async () => check(await host.fetch(new Request("https://bench/")), APPS[v.app]);
  await hit();
  const tFirst = performance.now();
  for (let i = 0; i < 20; i++) await hit();
  const lat = await seqLatency(hit, SEQ * 3);
  const rps = await throughput(hit, 8, CONC_SECONDS);
  return { compile: tCompile - t0, init: tInit - t1, first: tFirst - tInit, cold: tFirst - t0, ...lat, rps };
}

// ---------------------------------------------------------------- Pyodide
async function pyodideRun(app) {
  const { loadPyodide } = await import("pyodide");
  const t0 = performance.now();
  const py = await loadPyodide();
  const tLoad = performance.now();
  const kv = new Map([["key", JSON.stringify({ hello: "bench" })]]);
  // Async like Workers KV: the handler awaits a JS promise (Pyodide's own async bridge).
  py.globals.set("js_kv_get", async (k) => kv.get(k) ?? null);
  py.runPython(`
import json
class Response:
    def __init__(self, body, status=200, headers=None):
        self.body, self.status, self.headers = body, status, headers or {}
    @classmethod
    def json(cls, obj, status=200):
        return cls(json.dumps(obj, separators=(",", ":")), status, {"content-type": "application/json"})
async def on_fetch_hello(request, env):
    return Response("Hello from PyMode!")
async def on_fetch_kv(request, env):
    return Response.json(json.loads(await js_kv_get("key")))
`);
  const handler = py.globals.get(`on_fetch_${app}`);
  const hit = async () => {
    const resp = await handler("req", null);
    const body = resp.body;
    resp.destroy();
    if (!String(body).includes(APPS[app])) throw new Error(`pyodide: unexpected ${body}`);
  };
  await hit();
  const tFirst = performance.now();
  for (let i = 0; i < 20; i++) await hit();
  const lat = await seqLatency(hit, SEQ * 3);
  const rps = await throughput(hit, 8, CONC_SECONDS);
  const wasm = require.resolve("pyodide/pyodide.asm.wasm");
  return { load: tLoad - t0, cold: tFirst - t0, ...lat, rps, wasmBytes: readFileSync(wasm).byteLength };
}

// ---------------------------------------------------------------- main

const variantName = (v) => `${v.app}${v.snap ? " +wizer" : ""}${v.assets ? " +assets" : ""}${v.jspi ? " jspi" : " asyncify"}`;
// Pyodide's figures sit in the baseline row of each app (Asyncify, no snapshot).
const isBaseline = (r, app) => r.name === `${app} asyncify`;

const rt = existsSync(join(runtimeDir, "manifest.json")) ? JSON.parse(readFileSync(join(runtimeDir, "manifest.json"), "utf8")) : {};
console.log(`# PyMode worker benchmark — ${new Date().toISOString()}`);
console.log(`machine: ${(await import("node:os")).cpus().length} cores, node ${process.version}; workerd ${require("workerd/package.json").version}; runtime ${rt.key ?? "?"} (python ${rt.python ?? "?"})`);
// Cloudflare's upload limits (compressed size of the whole upload): Workers free plan 3 MB, paid 10 MB.
const FREE_LIMIT = 3e6;
const PAID_LIMIT = 10e6;
const fits = (gz) => `${gz <= FREE_LIMIT ? "fits" : "over"} / ${gz <= PAID_LIMIT ? "fits" : "over"}`;
console.log("## Upload size (MB) against Cloudflare's limits (gzip: 3 MB free plan / 10 MB paid)");
console.log("| variant | python.wasm | python.wasm gzip | whole upload gzip | free / paid | static assets gzip (stored once per account) | snapshot took |");
console.log("|---|---|---|---|---|---|---|");
for (const v of variants) {
  const m = JSON.parse(readFileSync(join(v.dir, "bundle.json"), "utf8"));
  const w = m.modules.find((x) => x.name === "python.wasm");
  const assets = m.assets ? `${(m.assets.gzip_size / 1e6).toFixed(2)} (${m.assets.files} files)` : "-";
  console.log(`| ${variantName(v)} | ${(w.size / 1e6).toFixed(2)} | ${(w.gzip_size / 1e6).toFixed(2)} | ${(m.total_gzip_size / 1e6).toFixed(3)} | ${fits(m.total_gzip_size)} | ${assets} | ${v.snapSeconds ? `${v.snapSeconds.toFixed(1)} s` : "-"} |`);
}
// Reference, not measured here: upstream PyMode's published figures (issue #13).
console.log("| upstream PyMode, published (reference) | 5.7 | 1.8 (2.3 with Asyncify) | - | - | - | - |");
console.log("");

const rows = [];
for (const v of variants) {
  const name = variantName(v);
  let raw;
  // a raw workerd config has no assets service: the assets variants are measured through Miniflare only
  if (v.app === "hello" && !v.assets) {
    const rs = [];
    for (let i = 0; i < COLD_RUNS; i++) rs.push(await rawWorkerdCold(v));
    raw = { total: median(rs.map((r) => r.total)), rss: median(rs.map((r) => r.rss)) };
  }
  const mf = await miniflareRun(v);
  const nh = v.jspi ? undefined : await nodeHostRun(v); // node 20 has no JSPI
  rows.push({ name, raw, mf, nh });
  console.error(`[bench] ${name} done`);
}
const pyo = {};
if (!args.includes("--no-pyodide")) {
  for (const app of Object.keys(APPS)) pyo[app] = await pyodideRun(app);
}

console.log("## Cold start (ms, median)");
console.log("| variant | workerd spawn → first response | Miniflare ready | + first response (instantiate + init + handle) | (a) a request on a new instance in a warm isolate, p50 | node host: compile / init / first | Pyodide loadPyodide / first |");
console.log("|---|---|---|---|---|---|---|");
for (const r of rows) {
  const app = r.name.split(" ")[0];
  const p = pyo[app] && isBaseline(r, app) ? `${f1(pyo[app].load)} / ${f1(pyo[app].cold)}` : "";
  console.log(`| ${r.name} | ${r.raw ? `${f1(r.raw.total)} (RSS ${r.raw.rss.toFixed(0)} MB)` : "-"} | ${f1(r.mf.ready)} | ${f1(r.mf.first)} | ${f1(r.mf.newInstance)} | ${r.nh ? `${f1(r.nh.compile)} / ${f1(r.nh.init)} / ${f1(r.nh.first)}` : "-"} | ${p} |`);
}
console.log("| upstream PyMode, published (reference) | - | - | ~28 (~5 with Wizer) | - | - | - |");
console.log("");
console.log("## Warm (latency ms p50 / p99; throughput req/s at concurrency 8)");
console.log("| variant | workerd HTTP (Worker isolate → wasm) | workerd req/s | node host in-process | node host req/s | Pyodide in-process | Pyodide req/s |");
console.log("|---|---|---|---|---|---|---|");
for (const r of rows) {
  const app = r.name.split(" ")[0];
  const p = pyo[app] && isBaseline(r, app) ? pyo[app] : undefined;
  console.log(`| ${r.name} | ${f1(r.mf.p50)} / ${f1(r.mf.p99)} | ${r.mf.rps.toFixed(0)} | ${r.nh ? `${r.nh.p50.toFixed(3)} / ${r.nh.p99.toFixed(3)}` : "-"} | ${r.nh ? r.nh.rps.toFixed(0) : "-"} | ${p ? `${p.p50.toFixed(3)} / ${p.p99.toFixed(3)}` : ""} | ${p ? p.rps.toFixed(0) : ""} |`);
}
if (pyo.hello) console.log(`\nPyodide ${require("pyodide/package.json").version}: pyodide.asm.wasm ${(pyo.hello.wasmBytes / 1e6).toFixed(2)} MB; cannot run in workerd from npm (Workers cannot compile wasm from bytes at run time), so it is measured in node.`);
rmSync(tmp, { recursive: true, force: true });
