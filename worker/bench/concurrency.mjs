#!/usr/bin/env node
// Edge concurrency benchmark (issue #15; a program that prints figures, not a test).
//
//   node bench/concurrency.mjs [--quick] [--seconds N] [--runtime DIR] [--compare REF]
//                              [--cases hello,upstream,cpu] [--concurrency 1,8,64] [--upstream-ms 50]
//
// One bundle (bench/apps/concurrency, a coroutine handler as Cloudflare Python Workers code is written),
// run in workerd through Miniflare under both routings, side by side in one run:
//   single   every request to one PythonDO, one at a time (the default before issue #15)
//   isolate  the instance pool in the Worker isolate (src/runtime/pool.ts, the default now)
// for (a) /hello, (b) /upstream awaiting a loopback server that answers after 50 ms and (c) /cpu,
// about 5 ms of Python, at concurrency 1, 8 and 64: req/s, p50/p99 latency, answers other than 200,
// workerd's RSS (the isolate and everything else in the process) and Python instances started.
// With --compare REF the two columns are the isolate pool built from git revision REF (its worker/src, worker/scripts
// and pylib) and the pool of this checkout, both in one run, so a change's effect is printed side by side with its
// baseline. The two Workers run at the same time and take the load in alternating one-second rounds, so that the
// load of other processes on a shared machine falls on both alike. CPU columns: the CPU time each side's workerd
// used per second of its rounds and per request, and this node process's (the load generator and the loopback
// upstream: they share the machine with workerd), so that a tail made by a saturated machine shows as such. --upstream-ms 0 measures the same path without the upstream's wait.
// Only loopback traffic; every load loop is bounded by time.
import { createServer } from "node:http";
import { mkdtempSync, readFileSync, readdirSync, symlinkSync } from "node:fs";
import { execFileSync } from "node:child_process";
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
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const CONCURRENCY = option("--concurrency", "1,8,64").split(",").map(Number);
const UPSTREAM_MS = Number(option("--upstream-ms", "50"));
const CASES = option("--cases", "hello,upstream,cpu").split(",");
const COMPARE = option("--compare", undefined);
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

/** The bundle of the same app built by git revision `ref`'s bundler from its own worker/src and pylib. */
async function bundleAt(ref) {
  const tree = mkdtempSync(join(tmpdir(), "pymode-bench-ref-"));
  const repo = resolve(here, "..", "..");
  const archive = execFileSync("git", ["-C", repo, "archive", ref, "worker/src", "worker/scripts", "worker/package.json", "pylib"], { maxBuffer: 1 << 30 });
  execFileSync("tar", ["-x", "-C", tree], { input: archive });
  symlinkSync(resolve(here, "..", "node_modules"), join(tree, "worker", "node_modules")); // esbuild, in /tmp only
  const out = mkdtempSync(join(tmpdir(), "pymode-bench-conc-ref-"));
  const { bundle: bundleRef } = await import(join(tree, "worker", "scripts", "bundle.mjs"));
  await bundleRef({ runtime: runtimeDir, project: join(here, "apps", "concurrency"), out });
  return out;
}

// The two columns: the single object vs the pool, or (--compare) REF's pool vs this checkout's.
const SIDES = COMPARE
  ? [{ label: `pool @${COMPARE}`, dir: await bundleAt(COMPARE), routing: "isolate" }, { label: "pool (this checkout)", dir, routing: "isolate" }]
  : [{ label: "single DO", dir, routing: "single" }, { label: "isolate pool", dir, routing: "isolate" }];
const manifest = JSON.parse(readFileSync(join(dir, "bundle.json"), "utf8"));

/** workerd processes started by this node process (Miniflare's children; only `pids` if given): their RSS in MB and CPU seconds used. */
function workerdStats(pids) {
  let rss = 0;
  let cpu = 0;
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      if (pids && !pids.includes(pid)) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) !== process.pid || !stat.includes("(workerd)")) continue;
      rss += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
      cpu += (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS; // utime + stime
    } catch {
      // the process ended while we looked
    }
  }
  return { rss, cpu };
}
const CLOCK_TICKS = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
const workerdPids = () => readdirSync("/proc").filter((p) => /^\d+$/.test(p) && workerdStats([p]).rss > 0);

async function start(routing, dir = SIDES[1].dir) {
  const manifest = JSON.parse(readFileSync(join(dir, "bundle.json"), "utf8"));
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
  const before = workerdPids();
  const url = await mf.ready;
  return { mf, url: String(url).replace(/\/$/, ""), logs, pids: workerdPids().filter((p) => !before.includes(p)) };
}

/** What one side's load rounds add up to. */
const newTally = () => ({ latencies: [], statuses: new Map(), elapsed: 0, workerdCpu: 0, nodeCpu: 0 });

/** `concurrency` closed-loop clients on `url` for `seconds`, added to `tally` (workerd CPU: processes `pids`). */
async function load(url, concurrency, seconds, tally, pids) {
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  const cpu0 = { workerd: workerdStats(pids).cpu, node: process.cpuUsage() };
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
      tally.latencies.push(performance.now() - s);
      tally.statuses.set(status, (tally.statuses.get(status) ?? 0) + 1);
    }
  }));
  tally.elapsed += (performance.now() - t0) / 1000;
  const nodeCpu = process.cpuUsage(cpu0.node);
  tally.workerdCpu += workerdStats(pids).cpu - cpu0.workerd;
  tally.nodeCpu += (nodeCpu.user + nodeCpu.system) / 1e6;
}

/** The figures of a tally. CPU: share of one core used by workerd and by this node process, and workerd's CPU ms per request answered. */
function summary(tally) {
  const latencies = [...tally.latencies].sort((a, b) => a - b);
  const ok = tally.statuses.get(200) ?? 0;
  const other = [...tally.statuses].filter(([s]) => s !== 200).map(([s, n]) => `${n}×${s}`).join(" ");
  const cpu = { workerd: tally.workerdCpu / tally.elapsed, node: tally.nodeCpu / tally.elapsed, workerdMsPerRequest: (tally.workerdCpu * 1000) / Math.max(1, latencies.length) };
  return { rps: ok / tally.elapsed, p50: pct(latencies, 50), p99: pct(latencies, 99), other, cpu };
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
if (COMPARE) console.log(`comparing: the pool built from ${COMPARE} (${execFileSync("git", ["-C", resolve(here, "..", ".."), "rev-parse", "--short", COMPARE], { encoding: "utf8" }).trim()}) vs this checkout`);
console.log(`machine: ${(await import("node:os")).cpus().length} cores, node ${process.version}; workerd ${require("workerd/package.json").version}; runtime ${rt.key} (python ${rt.python}); driver ${manifest.app.driver}; ${SECONDS} s per cell; upstream answers after ${UPSTREAM_MS} ms`);

let cpu = { n: 0, ms: NaN };
if (CASES.includes("cpu")) {
  const probe = await start("isolate");
  cpu = await calibrate(probe.url);
  await probe.mf.dispose();
  console.log(`/cpu?n=${cpu.n}: ${f1(cpu.ms)} ms of Python per request (one at a time, minus /hello)`);
}
console.log("");

const cases = [
  { key: "hello", name: "(a) hello", path: "/hello" },
  { key: "upstream", name: `(b) await ${UPSTREAM_MS} ms upstream`, path: `/upstream?url=${encodeURIComponent(upstreamUrl)}` },
  { key: "cpu", name: `(c) cpu ~${CPU_TARGET_MS} ms`, path: `/cpu?n=${cpu.n}` },
].filter((c) => CASES.includes(c.key));
// Both sides' Workers run side by side and take the load in alternating one-second rounds (A B, B A, ...), so that
// the load other processes put on this shared machine falls on both alike.
const ROUNDS = Math.max(1, Math.round(SECONDS));
const results = {};
for (const c of cases) {
  // A fresh pair of Workers per case: their isolates' memory and instance counts belong to that case alone.
  const workers = [];
  try {
    for (const { dir: sideDir, routing } of SIDES) workers.push(await start(routing, sideDir));
    for (const w of workers) await (await fetch(`${w.url}${c.path}`)).text(); // warm: the first instance exists
    for (const conc of CONCURRENCY) {
      const tallies = SIDES.map(newTally);
      for (let round = 0; round < ROUNDS; round++) {
        for (const side of round % 2 ? [1, 0] : [0, 1]) await load(`${workers[side].url}${c.path}`, conc, SECONDS / ROUNDS, tallies[side], workers[side].pids);
      }
      for (const side of [0, 1]) results[`${side} ${c.name} ${conc}`] = { ...summary(tallies[side]), rss: workerdStats(workers[side].pids).rss };
    }
    for (const [side, w] of workers.entries()) {
      // Why answers were not 200: the first lines of the errors the Worker logged (to stderr, beside the figures).
      const errors = new Map();
      for (const l of w.logs) if (/Error|error|Traceback|failed/.test(l)) errors.set(l.slice(0, 240), (errors.get(l.slice(0, 240)) ?? 0) + 1);
      for (const [l, n] of [...errors].slice(0, 5)) console.error(`[bench] ${SIDES[side].label} logged ${n}× ${l}`);
      const started = w.logs.filter((l) => /pool: instance \d+ started/.test(l));
      const last = started.at(-1);
      const memory = last ? /(\d+) live, (\d+) MiB/.exec(last) : undefined;
      results[`${side} ${c.name}`] = {
        instances: SIDES[side].routing === "single" ? "1 (the object)" : String(started.length),
        perInstance: memory ? `${(Number(memory[2]) / Number(memory[1])).toFixed(0)} MiB` : "-",
      };
    }
  } finally {
    for (const w of workers) await w.mf.dispose();
  }
  console.error(`[bench] ${c.name} done`);
}

const [A, B] = SIDES.map((x) => x.label);
const pcpu = (x) => `${(x * 100).toFixed(0)}%`;
console.log(`| handler | concurrency | ${A} req/s | ${B} req/s | × | ${A} p50 / p99 ms | ${B} p50 / p99 ms | not 200 (${A} / ${B}) | workerd RSS MB | CPU workerd / node (${A}) | CPU workerd / node (${B}) | workerd CPU ms per request (${A} / ${B}) |`);
console.log("|---|---|---|---|---|---|---|---|---|---|---|---|");
for (const c of cases) {
  for (const conc of CONCURRENCY) {
    const s = results[`0 ${c.name} ${conc}`];
    const p = results[`1 ${c.name} ${conc}`];
    console.log(`| ${c.name} | ${conc} | ${f1(s.rps)} | ${f1(p.rps)} | ${f1(p.rps / s.rps)} | ${f1(s.p50)} / ${f1(s.p99)} | ${f1(p.p50)} / ${f1(p.p99)} | ${s.other || "0"} / ${p.other || "0"} | ${s.rss.toFixed(0)} / ${p.rss.toFixed(0)} | ${pcpu(s.cpu.workerd)} / ${pcpu(s.cpu.node)} | ${pcpu(p.cpu.workerd)} / ${pcpu(p.cpu.node)} | ${s.cpu.workerdMsPerRequest.toFixed(2)} / ${p.cpu.workerdMsPerRequest.toFixed(2)} |`);
  }
}
console.log("");
console.log(`| handler | Python instances started (${A} / ${B}) | linear memory per pool instance (${B}) |`);
console.log("|---|---|---|");
for (const c of cases) {
  console.log(`| ${c.name} | ${results[`0 ${c.name}`].instances} / ${results[`1 ${c.name}`].instances} | ${results[`1 ${c.name}`].perInstance} |`);
}
upstream.close();
