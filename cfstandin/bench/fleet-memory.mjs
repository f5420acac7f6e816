#!/usr/bin/env node
// Fleet memory of the stand-in (a measurement program, not a test): deploys N small scripts through
// the API into a fresh stand-in process, requests a sample of them, and prints the memory of the
// stand-in and its workerd children, the time per deploy and per first request, and what the
// runtime pool ran, for each mode side by side in one run:
//   eager: --max-runtimes 0 --idle-stop 0   every deployed script keeps its workerd (the behaviour
//          before runtimes were lazy)
//   lazy:  --max-runtimes M --idle-stop S   (the defaults unless given)
//
//   node bench/fleet-memory.mjs [--scripts 200] [--eager-scripts N] [--sample 20] [--modes eager,lazy]
//        [--max-runtimes M] [--idle-stop S]
// --scripts is at most 1000. --eager-scripts (default: --scripts) deploys fewer in eager mode,
// since each eager script holds a workerd (~60 MB RSS): the eager column is then measured at that
// size and its per-script figures say what --scripts would take.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { POOL_DEFAULTS } from "../src/runtime/pool.mjs";

const CLI = fileURLToPath(new URL("../bin/cfstandin.mjs", import.meta.url));
const ACCOUNT = "0123456789abcdef0123456789abcdef";
const TOKEN = "bench-token";
const MAX_SCRIPTS = 1000;

function parseArgs(argv) {
  const o = { scripts: 200, eagerScripts: null, sample: 20, modes: ["eager", "lazy"], maxRuntimes: POOL_DEFAULTS.maxRunning, idleStop: POOL_DEFAULTS.idleMs / 1000 };
  const flags = { "--scripts": "scripts", "--eager-scripts": "eagerScripts", "--sample": "sample", "--max-runtimes": "maxRuntimes", "--idle-stop": "idleStop" };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--modes") o.modes = String(argv[++i] ?? "").split(",");
    else if (flags[a]) {
      const v = argv[++i];
      if (!/^\d+$/.test(v ?? "")) throw new Error(`${a} needs a whole number, got ${JSON.stringify(v)}`);
      o[flags[a]] = Number(v);
    } else throw new Error(`unknown argument ${a} (see the header of ${CLI.replace(/bin\/cfstandin.mjs$/, "bench/fleet-memory.mjs")})`);
  }
  if (o.scripts < 1 || o.scripts > MAX_SCRIPTS) throw new Error(`--scripts must be 1..${MAX_SCRIPTS}`);
  o.eagerScripts ??= o.scripts;
  if (o.eagerScripts < 1 || o.eagerScripts > o.scripts) throw new Error("--eager-scripts must be 1..--scripts");
  if (o.sample < 1) throw new Error("--sample must be at least 1");
  if (!o.modes.length || o.modes.some((m) => m !== "eager" && m !== "lazy")) throw new Error("--modes takes eager, lazy or both");
  return o;
}

const SOURCE = `export default {
  async fetch(request, env) {
    const n = Number((await env.KV.get(env.NAME)) ?? 0) + 1;
    await env.KV.put(env.NAME, String(n));
    return new Response(env.NAME + " " + n);
  },
};`;

/** RSS and PSS (shared pages divided among their users) of a process and all its descendants, in MiB. */
function treeMemory(rootPid) {
  const parent = new Map();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {} // exited meanwhile
  }
  const pids = [rootPid];
  for (let i = 0; i < pids.length; i++) for (const [pid, ppid] of parent) if (ppid === pids[i]) pids.push(pid);
  let rss = 0;
  let pss = 0;
  let rootRss = 0;
  let workerds = 0;
  for (const pid of pids) {
    try {
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
      const kb = Number(/^Rss:\s+(\d+)/m.exec(rollup)[1]);
      rss += kb;
      if (pid === rootPid) rootRss = kb;
      pss += Number(/^Pss:\s+(\d+)/m.exec(rollup)[1]);
      if (readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "workerd") workerds++;
    } catch {}
  }
  return { rssMiB: rss / 1024, pssMiB: pss / 1024, nodeRssMiB: rootRss / 1024, processes: pids.length, workerds };
}

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

async function startProcess(args) {
  const stateDir = mkdtempSync(join(tmpdir(), "cfstandin-bench-"));
  const proc = spawn(process.execPath, [CLI, "--port", "0", "--state-dir", stateDir, "--account", ACCOUNT, "--token", TOKEN, "--quiet", ...args], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  proc.stdout.on("data", (d) => (out += d));
  while (!/READY (\S+) \(admin (\S+),/.test(out)) {
    const [what] = await Promise.race([once(proc.stdout, "data").then(() => ["data"]), once(proc, "exit").then(() => ["exit"])]);
    if (what === "exit") throw new Error(`cfstandin exited before READY: ${out}`);
  }
  const [, api, admin] = /READY (\S+) \(admin (\S+),/.exec(out);
  return {
    proc,
    api,
    admin,
    async close() {
      proc.kill("SIGTERM");
      await once(proc, "exit");
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

async function call(s, method, path, body) {
  const headers = { authorization: `Bearer ${TOKEN}` };
  if (body !== undefined && !(body instanceof FormData)) headers["content-type"] = "application/json";
  const res = await fetch(s.api + path, { method, headers, body: body instanceof FormData ? body : body === undefined ? undefined : JSON.stringify(body) });
  const data = await res.json();
  if (!data.success) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(data.errors)}`);
  return data.result;
}

async function runMode(mode, count, o) {
  const args = mode === "eager" ? ["--max-runtimes", "0", "--idle-stop", "0"] : ["--max-runtimes", String(o.maxRuntimes), "--idle-stop", String(o.idleStop)];
  const s = await startProcess(args);
  try {
    const idle = treeMemory(s.proc.pid);
    const A = `/accounts/${ACCOUNT}`;
    const ns = (await call(s, "POST", `${A}/storage/kv/namespaces`, { title: "fleet" })).id;
    const deployMs = [];
    for (let i = 0; i < count; i++) {
      const name = `fleet-${String(i).padStart(4, "0")}`;
      const fd = new FormData();
      const metadata = { main_module: "index.js", compatibility_date: "2025-04-01", bindings: [{ name: "NAME", type: "plain_text", text: name }, { name: "KV", type: "kv_namespace", namespace_id: ns }] };
      fd.set("metadata", JSON.stringify(metadata));
      fd.set("index.js", new Blob([SOURCE], { type: "application/javascript+module" }), "index.js");
      const t0 = performance.now();
      await call(s, "PUT", `${A}/workers/scripts/${name}`, fd);
      deployMs.push(performance.now() - t0);
    }
    const deployed = treeMemory(s.proc.pid);
    const afterDeploy = await (await fetch(`${s.admin}/runtimes`)).json();
    const scripts = (await (await fetch(`${s.admin}/scripts`)).json()).scripts;
    // Every k-th script, spread over the fleet (the oldest deploys are the ones a bound stopped).
    const step = Math.max(1, Math.floor(scripts.length / o.sample));
    const sample = scripts.filter((_, i) => i % step === 0).slice(0, o.sample);
    const firstMs = [];
    for (const x of sample) {
      const t0 = performance.now();
      const res = await fetch(x.url);
      const text = await res.text();
      if (res.status !== 200 || text !== `${x.script} 1`) throw new Error(`${x.script} answered ${res.status} ${JSON.stringify(text)}`);
      firstMs.push(performance.now() - t0);
    }
    const sampled = treeMemory(s.proc.pid);
    const ran = await (await fetch(`${s.admin}/runtimes`)).json();
    return { mode, args, count, idle, deployMs, deployed, afterDeploy, firstMs, sampled, ran };
  } finally {
    await s.close();
  }
}

function report(o, results) {
  const f = (x, d = 0) => (x === undefined || x === null ? "-" : Number(x).toFixed(d));
  const per = (r, m) => (m.rssMiB - r.idle.rssMiB) / r.count;
  const rows = [
    ["flags", (r) => r.args.join(" ")],
    ["scripts deployed", (r) => r.count],
    ["stand-in alone: RSS / PSS MiB", (r) => `${f(r.idle.rssMiB)} / ${f(r.idle.pssMiB)}`],
    ["deploy ms p50 / p95 / total s", (r) => `${f(quantile(r.deployMs, 0.5))} / ${f(quantile(r.deployMs, 0.95))} / ${f(r.deployMs.reduce((a, b) => a + b, 0) / 1000, 1)}`],
    ["after deploys: workerd processes", (r) => r.deployed.workerds],
    ["after deploys: runtimes running (pool)", (r) => r.afterDeploy.running],
    ["after deploys: RSS / PSS MiB", (r) => `${f(r.deployed.rssMiB)} / ${f(r.deployed.pssMiB)}`],
    ["after deploys: RSS MiB per script", (r) => f(per(r, r.deployed), 1)],
    ["after deploys: RSS MiB of the node process", (r) => f(r.deployed.nodeRssMiB)],
    [`first request of ${o.sample} sampled: ms p50 / p95`, (r) => `${f(quantile(r.firstMs, 0.5))} / ${f(quantile(r.firstMs, 0.95))}`],
    ["after sample: RSS / PSS MiB", (r) => `${f(r.sampled.rssMiB)} / ${f(r.sampled.pssMiB)}`],
    ["after sample: workerd processes", (r) => r.sampled.workerds],
    ["ran: running / peak", (r) => `${r.ran.running} / ${r.ran.peak_running}`],
    ["ran: started / stopped (idle, evicted)", (r) => `${r.ran.started} / ${r.ran.stopped} (${r.ran.stopped_idle}, ${r.ran.stopped_evicted})`],
    [`RSS MiB at ${o.scripts} scripts (per-script × ${o.scripts} when fewer ran)`, (r) => f(r.count === o.scripts ? r.deployed.rssMiB : r.idle.rssMiB + per(r, r.deployed) * o.scripts)],
  ];
  const w0 = Math.max(...rows.map(([l]) => l.length));
  const cells = rows.map(([l, fn]) => [l, ...results.map((r) => String(fn(r)))]);
  const w = results.map((_, i) => Math.max(...cells.map((c) => c[i + 1].length), results[i].mode.length));
  const line = (c) => [c[0].padEnd(w0), ...c.slice(1).map((x, i) => x.padStart(w[i]))].join("  ");
  console.log(`fleet-memory: ${o.scripts} scripts (small ES module, one var + one KV binding) deployed one by one through PUT /workers/scripts, then a first request to ${o.sample} of them spread over the fleet`);
  console.log(`machine: ${cpus().length} cores, ${f(totalmem() / 2 ** 30)} GiB, node ${process.version}; RSS counts shared pages once per process, PSS divides them`);
  console.log(line(["", ...results.map((r) => r.mode)]));
  for (const c of cells) console.log(line(c));
  for (const r of results) console.log(`what the bench ran (${r.mode}): ${JSON.stringify(r.ran)}`);
}

let opts;
try {
  opts = parseArgs(process.argv.slice(2));
} catch (e) {
  console.error(`fleet-memory: ${e.message}`);
  process.exit(2);
}
const results = [];
for (const mode of opts.modes) {
  const count = mode === "eager" ? opts.eagerScripts : opts.scripts;
  console.error(`[fleet-memory] ${mode}: deploying ${count} scripts...`);
  results.push(await runMode(mode, count, opts));
}
report(opts, results);
