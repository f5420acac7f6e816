#!/usr/bin/env node
// examples/fastapi-worker in workerd: issue #17's figures (a program that prints them; not a test).
//
//   node bench/fastapi.mjs [--runtime DIR] [--runs N] [--warm N]
//
// Builds (or reuses from ~/.cache/pymode) the pydantic-core recipe, resolves the example's spec.packages with the
// builder's own resolution (pymode_build.resolve_packages, the extension's distributions provided), bundles the
// example as a worker build does (worker/scripts/bundle.mjs, the driver it picks), then prints:
//   - the pydantic-core side module raw / gzip -9 and its share of the upload (gzip), the upload's total
//   - cold in workerd (Miniflare): start → ready, then the first request (interpreter start, `import fastapi`, the
//     app's definition, pydantic-core's dlopen, GET /), the first PUT with a body (first validation), per run
//   - warm: sequential p50/p99 of GET / and of GET /notes/n1 (KV read + model validation)
//   - a Wizer snapshot of the example (builder-image/runtime/snapshot.sh): its cold start, or the error it ends with
//   - the reference row: Cloudflare's published FastAPI cold start with memory snapshots (not measured here)
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, cpSync, readdirSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import { bundle, defaultRuntimeDir, DRIVER_WASM } from "../scripts/bundle.mjs";
import { seqLatency } from "./stats.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "..", "..");
const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const runtimeDir = resolve(opt("--runtime", defaultRuntimeDir()));
const RUNS = Number(opt("--runs", 3));
const WARM = Number(opt("--warm", 200));
const example = join(repo, "examples", "fastapi-worker");
const tmp = mkdtempSync(join(tmpdir(), "pymode-bench-fastapi-"));

// ---- the example's inputs, as a worker build takes them
const workerYaml = readFileSync(join(example, "worker.yaml"), "utf8");
const packagesLine = /^\s*packages:\s*\[(.*)\]\s*$/m.exec(workerYaml);
if (!packagesLine) throw new Error("examples/fastapi-worker/worker.yaml: no `packages: [...]` line");
const packages = packagesLine[1].split(",").map((s) => s.trim()).filter(Boolean);
const recipeFile = join(repo, "recipes", "pydantic-core.json");
const recipe = JSON.parse(readFileSync(recipeFile, "utf8"));
const provided = { "pydantic-core": recipe.version, ...(recipe.provides ?? {}) };

const extOut = join(tmp, "pydantic-core");
execFileSync("python3", [join(repo, "builder-image/extensions/build_rust_extension.py"), recipeFile, "--runtime-dir", runtimeDir, "--out", extOut],
  { stdio: ["ignore", "ignore", "inherit"] });
const resolveScript = `import json, sys; sys.path.insert(0, ${JSON.stringify(join(repo, "builder-image/bundler"))})
from pathlib import Path
import pymode_build
print(pymode_build.resolve_packages(json.loads(sys.argv[1]), Path(sys.argv[2]), json.loads(sys.argv[3])))`;
const site = execFileSync("python3", ["-c", resolveScript, JSON.stringify(packages), join(tmp, "resolve"), JSON.stringify(provided)],
  { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim().split("\n").pop();
const sites = [site, join(extOut, "site")];

async function bundleExample(name, extra = {}) {
  const out = join(tmp, name);
  await bundle({ runtime: runtimeDir, project: example, pylib: join(repo, "pylib"), out, site: sites, ...extra });
  return { dir: out, manifest: JSON.parse(readFileSync(join(out, "bundle.json"), "utf8")) };
}

const plain = await bundleExample("bundle");
const driver = plain.manifest.app.driver;

// ---- sizes
const sideModules = plain.manifest.modules.filter((m) => m.type === "compiled-wasm" && m.name.includes("pydantic_core"));
if (sideModules.length !== 1) throw new Error(`expected one pydantic-core side module in the bundle, found ${sideModules.map((m) => m.name)}`);
const core = sideModules[0];
const total = { raw: plain.manifest.total_size, gzip: plain.manifest.total_gzip_size };

// ---- workerd runs
const type = { esm: "ESModule", "compiled-wasm": "CompiledWasm", data: "Data" };
async function expectStatus(response, status, what) {
  const body = await response.text();
  if (response.status !== status) throw new Error(`${what}: HTTP ${response.status}, expected ${status}: ${body.slice(0, 500)}`);
  return body;
}
async function workerdRuns(b, runs, warmN) {
  const m = b.manifest;
  const colds = [];
  let warm;
  for (let run = 0; run < runs; run++) {
    const t0 = performance.now();
    const mf = new Miniflare({
      modulesRoot: b.dir,
      modules: m.modules.map((x) => ({ type: type[x.type], path: join(b.dir, x.name), contents: readFileSync(join(b.dir, x.name)) })),
      compatibilityDate: m.compatibility_date,
      durableObjects: { PYTHON_DO: "PythonDO", THREAD_DO: "ThreadDO" },
      kvNamespaces: ["NOTES"],
      bindings: { PYMODE_BINDINGS_DECL: JSON.stringify({ NOTES: "kv" }) },
      host: "127.0.0.1",
      port: 0,
      handleRuntimeStdio() {},
    });
    try {
      const url = String(await mf.ready).replace(/\/$/, "");
      const ready = performance.now() - t0;
      let t = performance.now();
      await expectStatus(await fetch(`${url}/`), 200, "GET /");
      const first = performance.now() - t;
      t = performance.now();
      const put = () => fetch(`${url}/notes/n1`, { method: "PUT", headers: { "content-type": "application/json" }, body: '{"title": "bench", "tags": ["a"]}' });
      await expectStatus(await put(), 201, "PUT /notes/n1");
      const firstPut = performance.now() - t;
      colds.push({ ready, first, firstPut });
      if (run === runs - 1) {
        const root = async () => expectStatus(await fetch(`${url}/`), 200, "GET /");
        const note = async () => expectStatus(await fetch(`${url}/notes/n1`), 200, "GET /notes/n1");
        for (let i = 0; i < 20; i++) await note();
        warm = { root: await seqLatency(root, warmN), note: await seqLatency(note, warmN) };
        await expectStatus(await fetch(`${url}/notes/n2`, { method: "PUT", headers: { "content-type": "application/json" }, body: '{"title": ""}' }), 422, "invalid body");
      }
    } finally {
      await mf.dispose();
    }
  }
  const median = (k) => [...colds.map((c) => c[k])].sort((a, b) => a - b)[Math.floor(colds.length / 2)];
  return { colds, ready: median("ready"), first: median("first"), firstPut: median("firstPut"), warm };
}

const cold = await workerdRuns(plain, RUNS, WARM);

// ---- a Wizer snapshot of the example (the builder's `wizer: true` path: pylib merged into the site)
let snapshot;
{
  const merged = join(tmp, "site-with-pylib");
  for (const s of sites) cpSync(s, merged, { recursive: true });
  for (const p of readdirSync(join(repo, "pylib"))) {
    if (existsSync(join(repo, "pylib", p, "__init__.py"))) cpSync(join(repo, "pylib", p), join(merged, p), { recursive: true });
  }
  const out = join(tmp, "python.wizer.wasm");
  const t0 = performance.now();
  const r = spawnSync("bash", [join(repo, "builder-image/runtime/snapshot.sh"), "--wasm", join(runtimeDir, DRIVER_WASM[driver]),
    "--stdlib", join(runtimeDir, "python313.zip"), "--site", merged, "--app", example, "--entry", "src/entry.py", "-o", out],
  { encoding: "utf8" });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) {
    // Wizer's message and the innermost frame (a trap in the preloaded `pymode` stub is a host call made during
    // initialisation: builder-image/runtime/wizer_stub.py), not the hundreds of frames between
    const lines = `${r.stderr}\n${r.stdout}`.trim().split("\n").filter((l) => l.trim());
    const frame = /^\s*(\d+):\s+0x/;
    snapshot = { error: lines.filter((l) => !frame.test(l) || frame.exec(l)[1] === "0").join("\n"), seconds };
  } else {
    const snap = await bundleExample("bundle-wizer", { wasm: out, driver });
    snapshot = { seconds, gzip: snap.manifest.total_gzip_size, ...(await workerdRuns(snap, RUNS, 50)) };
  }
}

// ---- print
const mb = (n) => (n / 1e6).toFixed(2) + " MB";
const ms = (x) => (x === undefined ? "-" : x.toFixed(0) + " ms");
console.log(`examples/fastapi-worker — runtime ${runtimeDir}, driver ${driver}, packages ${packages.join(" ")}, pydantic-core ${recipe.version}`);
console.log(`\nsizes (the bundle's ${plain.manifest.modules.length} modules)`);
console.log(`  pydantic-core side module (${core.name})   raw ${mb(core.size)}   gzip ${mb(core.gzip_size)}   ${(100 * core.gzip_size / total.gzip).toFixed(0)}% of the upload (gzip)`);
console.log(`  whole upload                               raw ${mb(total.raw)}   gzip ${mb(total.gzip)}   (Cloudflare: 3 MB free plan, 10 MB paid, gzip)`);
console.log(`\ncold start in workerd (Miniflare, medians of ${RUNS})  start→ready / first GET / (interpreter, import fastapi, app, dlopen) / first PUT with a body`);
const row = (label, c) => console.log(`  ${label.padEnd(44)} ${ms(c.ready).padStart(8)} ${ms(c.first).padStart(9)} ${ms(c.firstPut).padStart(8)}   first response ${ms(c.ready + c.first)} after start`);
row("no snapshot", cold);
if (snapshot.error) console.log(`  Wizer snapshot                               failed after ${snapshot.seconds.toFixed(0)} s:\n    ${snapshot.error.split("\n").join("\n    ")}`);
else row(`Wizer snapshot (upload ${mb(snapshot.gzip)} gzip)`, snapshot);
console.log(`  Cloudflare Python Workers, FastAPI, memory snapshot: ~1 s cold start (Cloudflare's published figure; not measured here)`);
console.log(`\nwarm in workerd, sequential (${WARM} requests)      p50 / p99`);
console.log(`  GET /                                        ${cold.warm.root.p50.toFixed(2)} / ${cold.warm.root.p99.toFixed(2)} ms`);
console.log(`  GET /notes/n1 (KV get + model validation)     ${cold.warm.note.p50.toFixed(2)} / ${cold.warm.note.p99.toFixed(2)} ms`);
console.log(`\nper run (ready / first / first PUT ms): ${cold.colds.map((c) => [c.ready, c.first, c.firstPut].map((x) => x.toFixed(0)).join("/")).join(", ")}`);
