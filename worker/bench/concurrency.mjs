#!/usr/bin/env node
// Edge concurrency benchmark (issue #15; a program that prints figures, not a test).
//
//   node bench/concurrency.mjs [--quick] [--seconds N] [--runtime DIR]
//
// One bundle (bench/apps/concurrency, a coroutine handler as Cloudflare Python Workers code is written),
// run in workerd through Miniflare under both routings, side by side in one run:
//   single   every request to one PythonDO, one at a time (the default before issue #15)
//   isolate  the instance pool in the Worker isolate (src/runtime/pool.ts, the default now)
// for (a) /hello, (b) /upstream awaiting a loopback server that answers after 50 ms and (c) /cpu,
// about 5 ms of Python, at concurrency 1, 8 and 64: req/s, p50/p99 latency, answers other than 200,
// workerd's RSS (the isolate and everything else in the process) and Python instances started.
// Only loopback traffic; every load loop is bounded by time.
import { createServer } from "node:http";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { Miniflare } from "miniflare";
import { bundle, defaultRuntimeDir } from "../scripts/bundle.mjs";
import { f1, pct } from "./stats.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes("--quick");
const SECONDS = args.includes("--seconds") ? Number(args[args.indexOf("--seconds") + 1]) : quick ? 2 : 5;
const runtimeDir = args.includes("--runtime") ? resolve(args[args.indexOf("--runtime") + 1]) : defaultRuntimeDir();
const CONCURRENCY = [1, 8, 64];
const UPSTREAM_MS = 50;
const CPU_TARGET_MS = 5;
const require = createRequire(import.meta.url);


// ------------------------------------------------------------------ the 50 ms upstream
const upstream = createServer((req, res) => {
  const t = setTimeout(() => res.end("upstream answered"), UPSTREAM_MS);
  res.on("close", () => clearTimeout(t));
});
await new Promise((r) => upstream.listen(0, "127.0.0.1", r));
const upstreamUrl = `http://127.0.0.1:${upstream.address().port}/`;

// ------------------------------------------------------------------ workerd through Miniflare
const dir = mkdtempSync(join(tmpdir(), "pymode-bench-conc-"));
await bundle({ runtime: runtimeDir, project: join(here, "apps", "concurrency"), out: dir });
const manifest = JSON.parse(readFileSync(join(dir, "bundle.json"), "utf8"));

/** workerd processes started by this node process (Miniflare's children), with their RSS in MB. */
function workerdRssMb() {
  let total = 0;
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid !== process.pid || !stat.includes("(workerd)")) continue;
      total += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
    } catch {
      // the process ended while we looked
    }
  }
  return total;
}

async function start(routing) {
  const logs = [];
  const type = { esm: "ESModule", "compiled-wasm": "CompiledWasm", data: "Data" };
  const mf = new Miniflare({
    modulesRoot: dir,
    modules: manifest.modules.map((x) => ({ type: type[x.type], path: join(dir, x.name), contents: readFileSync(join(dir, x.name)) })),
    compatibilityDate: manifest.compatibility_date,
    durableObjects: { PYTHON_DO: "PythonDO", THREAD_DO: "ThreadDO" },
    bindings: { PYMODE_ROUTING: routing, PYMODE_BINDINGS_DECL: "{}" },
    host: "127.0.0.1",
    port: 0,
    handleRuntimeStdio(stdout, stderr) {
      for (const s of [stdout, stderr]) s.on("data", (d) => logs.push(...String(d).split("\n")));
    },
  });
  const url = await mf.ready;
  return { mf, url: String(url).replace(/\/$/, ""), logs };
}

async function load(url, concurrency, seconds) {
  const end = performance.now() + seconds * 1000;
  const latencies = [];
  const statuses = new Map();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      const s = performance.now();
      let status;
      try {
        const r = await fetch(url);
        await r.arrayBuffer();
        status = r.status;
      } catch (e) {
        status = `connection ${e.cause?.code ?? e.message}`; // workerd dropped it: counted, not fatal
      }
      latencies.push(performance.now() - s);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  }));
  const elapsed = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const ok = statuses.get(200) ?? 0;
  const other = [...statuses].filter(([s]) => s !== 200).map(([s, n]) => `${n}×${s}`).join(" ");
  return { rps: ok / elapsed, p50: pct(latencies, 50), p99: pct(latencies, 99), other };
}

/** The loop count of /cpu that takes about CPU_TARGET_MS of Python (measured on the pool, one request at a time). */
async function calibrate(url) {
  const seq = async (n, k) => {
    const ts = [];
    for (let i = 0; i < k; i++) {
      const s = performance.now();
      await (await fetch(`${url}/cpu?n=${n}`)).text();
      ts.push(performance.now() - s);
    }
    ts.sort((a, b) => a - b);
    return pct(ts, 50);
  };
  await seq(0, 40); // warm: the first requests of an isolate are slower
  const base = await seq(0, 40);
  const probe = 200_000; // tens of ms: well above the noise of one request
  const perIteration = Math.max(1e-6, ((await seq(probe, 15)) - base) / probe);
  const n = Math.round(CPU_TARGET_MS / perIteration);
  return { n, ms: (await seq(n, 30)) - base };
}

const rt = JSON.parse(readFileSync(join(runtimeDir, "manifest.json"), "utf8"));
console.log(`# PyMode edge concurrency benchmark — ${new Date().toISOString()}`);
console.log(`machine: ${(await import("node:os")).cpus().length} cores, node ${process.version}; workerd ${require("workerd/package.json").version}; runtime ${rt.key} (python ${rt.python}); driver ${manifest.app.driver}; ${SECONDS} s per cell; upstream answers after ${UPSTREAM_MS} ms`);

const probe = await start("isolate");
const cpu = await calibrate(probe.url);
await probe.mf.dispose();
console.log(`/cpu?n=${cpu.n}: ${f1(cpu.ms)} ms of Python per request (one at a time, minus /hello)`);
console.log("");

const cases = [
  { name: "(a) hello", path: "/hello" },
  { name: `(b) await ${UPSTREAM_MS} ms upstream`, path: `/upstream?url=${encodeURIComponent(upstreamUrl)}` },
  { name: `(c) cpu ~${CPU_TARGET_MS} ms`, path: `/cpu?n=${cpu.n}` },
];
const results = {};
for (const routing of ["single", "isolate"]) {
  for (const c of cases) {
    // A fresh Worker per case: its isolate's memory and instance count belong to that case alone.
    const w = await start(routing);
    try {
      await (await fetch(`${w.url}${c.path}`)).text(); // warm: the first instance exists
      for (const conc of CONCURRENCY) {
        const r = await load(`${w.url}${c.path}`, conc, SECONDS);
        results[`${routing} ${c.name} ${conc}`] = { ...r, rss: workerdRssMb() };
      }
      const started = w.logs.filter((l) => /pool: instance \d+ started/.test(l));
      const last = started.at(-1);
      const memory = last ? /(\d+) live, (\d+) MiB/.exec(last) : undefined;
      results[`${routing} ${c.name}`] = {
        instances: routing === "single" ? "1 (the object)" : String(started.length),
        perInstance: memory ? `${(Number(memory[2]) / Number(memory[1])).toFixed(0)} MiB` : "-",
      };
    } finally {
      await w.mf.dispose();
    }
    console.error(`[bench] ${routing} ${c.name} done`);
  }
}

console.log("| handler | concurrency | single DO req/s | isolate pool req/s | × | single p50 / p99 ms | pool p50 / p99 ms | not 200 (single / pool) | workerd RSS MB (single / pool) |");
console.log("|---|---|---|---|---|---|---|---|---|");
for (const c of cases) {
  for (const conc of CONCURRENCY) {
    const s = results[`single ${c.name} ${conc}`];
    const p = results[`isolate ${c.name} ${conc}`];
    console.log(`| ${c.name} | ${conc} | ${f1(s.rps)} | ${f1(p.rps)} | ${f1(p.rps / s.rps)} | ${f1(s.p50)} / ${f1(s.p99)} | ${f1(p.p50)} / ${f1(p.p99)} | ${s.other || "0"} / ${p.other || "0"} | ${s.rss.toFixed(0)} / ${p.rss.toFixed(0)} |`);
  }
}
console.log("");
console.log("| handler | Python instances started (single / pool) | linear memory per pool instance |");
console.log("|---|---|---|");
for (const c of cases) {
  console.log(`| ${c.name} | ${results[`single ${c.name}`].instances} / ${results[`isolate ${c.name}`].instances} | ${results[`isolate ${c.name}`].perInstance} |`);
}
upstream.close();
