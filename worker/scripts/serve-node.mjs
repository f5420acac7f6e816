#!/usr/bin/env node
// Serve a bundle (scripts/bundle.mjs output) over HTTP with the node host: the same runtime as
// PythonDO, with in-memory KV (MY_KV), R2 (FILES), D1 on sql.js (DB), real outbound HTTP and TCP.
//
//   node scripts/serve-node.mjs --bundle DIR [--port 8788] [--host 127.0.0.1] [--var K=V]...
import { build } from "esbuild";
import { createServer } from "node:http";
import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const workerDir = resolve(here, "..");

export async function importNodeHost() {
  const out = join(workerDir, "node_modules", ".cache", "pymode", "node-host.mjs");
  mkdirSync(dirname(out), { recursive: true });
  await build({
    entryPoints: [join(workerDir, "src", "node", "host.ts")],
    bundle: true, platform: "node", format: "esm", target: "node20", outfile: out, external: ["sql.js"], logLevel: "silent",
  });
  return import(pathToFileURL(out).href);
}

async function main() {
  const argv = process.argv.slice(2);
  const opt = { port: 8788, host: "127.0.0.1", vars: {} };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--bundle") opt.bundle = argv[++i];
    else if (a === "--port") opt.port = Number(argv[++i]);
    else if (a === "--host") opt.host = argv[++i];
    else if (a === "--var") {
      const [k, ...v] = argv[++i].split("=");
      opt.vars[k] = v.join("=");
    } else throw new Error(`unknown argument ${a}`);
  }
  if (!opt.bundle) throw new Error("--bundle DIR is required");
  const { loadBundle, memoryEnv, NodeHost } = await importNodeHost();
  const env = await memoryEnv(opt.vars);
  const host = new NodeHost({ bundle: await loadBundle(resolve(opt.bundle)), env });
  const t0 = performance.now();
  await host.service.warm();
  console.error(`[serve-node] instance ready in ${(performance.now() - t0).toFixed(1)} ms`);
  const server = createServer(async (req, res) => {
    try {
      const chunks = [];
      for await (const c of req) chunks.push(c);
      const body = chunks.length ? Buffer.concat(chunks) : undefined;
      const headers = Object.entries(req.headers).flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => [k, x]) : [[k, String(v)]]));
      const r = await host.fetch(new Request(`http://${req.headers.host ?? "localhost"}${req.url}`, { method: req.method, headers, body: req.method === "GET" || req.method === "HEAD" ? undefined : body }));
      res.writeHead(r.status, [...r.headers].flat());
      res.end(Buffer.from(await r.arrayBuffer()));
    } catch (e) {
      res.writeHead(500, { "content-type": "text/plain" });
      res.end(String(e?.stack ?? e));
    }
  });
  server.listen(opt.port, opt.host, () => console.error(`[serve-node] http://${opt.host}:${server.address().port}/`));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(`serve-node: ${e.message}`);
    process.exit(1);
  });
}
