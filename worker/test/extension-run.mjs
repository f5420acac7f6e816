#!/usr/bin/env node
// CLI over extension-harness.ts for builder-image/tests/test_extensions.py and benchmarks:
//   node worker/test/extension-run.mjs --site DIR [--site DIR]... [--runtime DIR] < requests.json
// stdin: a JSON list of Python code strings; each runs in the same instance (extension-app).
// stdout: JSON {"results": [answers...], "timings": {...}, "linked": [...], "linkMs": {...}, "driver": "jspi"|"asyncify"}
// (the driver: Asyncify on a Node without JSPI, else the bundle's choice; it decides the side-module variants linked).
import { build } from "esbuild";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const sites = [];
let runtime;
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--site") sites.push(args[++i]);
  else if (args[i] === "--runtime") runtime = args[++i];
  else throw new Error(`unknown argument ${args[i]}`);
}
const codes = JSON.parse(readFileSync(0, "utf8"));
const out = await build({
  entryPoints: [join(here, "extension-harness.ts")],
  bundle: true,
  platform: "node",
  format: "esm",
  write: false,
  external: ["esbuild", "sql.js"],
  logLevel: "error",
});
const src = out.outputFiles[0].text.replaceAll("import.meta.url", JSON.stringify("file://" + join(here, "extension-harness.ts")));
// Written under node_modules so that bare imports (esbuild, sql.js) resolve from worker/.
const cacheDir = join(here, "..", "node_modules", ".cache");
mkdirSync(cacheDir, { recursive: true });
const bundled = join(cacheDir, `pymode-extension-harness-${process.pid}.mjs`);
writeFileSync(bundled, src);
let mod;
try {
  mod = await import(pathToFileURL(bundled).href);
} finally {
  rmSync(bundled, { force: true });
}
const { startExtensionApp } = mod;
const app = await startExtensionApp(sites, { runtime });
const results = [];
for (const code of codes) {
  const t = performance.now();
  const r = await app.run(code);
  r.wallMs = performance.now() - t;
  results.push(r);
}
const logs = app.logs.filter((l) => l.level >= 30).map((l) => `[${l.source}] ${l.message}`);
process.stdout.write(JSON.stringify({ results, timings: app.timings, linked: app.linker.list(), linkMs: Object.fromEntries(app.linker.timings), logs, driver: app.manifest.app.driver }) + "\n");
await app.instance.dispose();
