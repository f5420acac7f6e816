// C extensions in workerd: side modules handed over as pre-compiled CompiledWasm modules (Workers
// cannot compile wasm at run time) and linked into python.wasm by dynlink.ts.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, sep } from "node:path";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-ignore -- plain ESM build script
import { buildAppImage } from "../scripts/bundle.mjs";
import { EXTENSION_APP, REPO, runtimeDir } from "./extension-harness";

const RECIPES = readdirSync(join(REPO, "recipes"))
  .filter((f) => f.endsWith(".json") && f !== "schema.json")
  .map((f) => f.replace(/\.json$/, ""))
  .sort();
let mf: Miniflare | undefined;
let url: URL;
let setupError: unknown;
const logs: string[] = [];

async function setup() {
  const runtime = runtimeDir();
  const work = mkdtempSync(join(tmpdir(), "pymode-ext-workerd-"));
  // Every recipe (depends included), all in one worker.
  const sites: string[] = [];
  it("a KV read under a C extension frame (propcache's C cached_property) suspends and resumes", async () => {
    const { body } = await run(
      "from propcache.api import cached_property\nenv.MY_KV.put('k', 'from kv')\n" +
        "class A:\n    @cached_property\n    def x(self):\n        return env.MY_KV.get('k')\n" +
        "a = A()\nresult = [a.x, a.x, type(A.__dict__['x']).__module__]",
    );
    expect(body).toMatchObject({ ok: true, result: ["from kv", "from kv", "propcache._helpers_c"] });
  }, 120_000);

  for (const name of RECIPES) {
    const out = join(work, name);
    execFileSync("python3", [join(REPO, "builder-image/extensions/build_extension.py"), join(REPO, "recipes", `${name}.json`), "--runtime-dir", runtime, "--out", out], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    sites.push(join(out, "site"));
  }
  const dir = join(work, "bundle");
  mkdirSync(join(dir, "ext"), { recursive: true });
  await build({
    entryPoints: [join(__dirname, "extension-workerd-entry.ts")],
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    outfile: join(dir, "worker.js"),
    external: ["cloudflare:*", "./python.wasm", "./python313.zip", "./app.pvfs", "./extensions.mjs"],
    logLevel: "silent",
  });
  copyFileSync(join(runtime, "python.wasm"), join(dir, "python.wasm"));
  copyFileSync(join(runtime, "python313.zip"), join(dir, "python313.zip"));
  const { image } = buildAppImage({ pylibDir: join(REPO, "pylib"), projectDir: EXTENSION_APP, siteDirs: sites });
  writeFileSync(join(dir, "app.pvfs"), image);
  // Each side module as its own CompiledWasm module; extensions.mjs maps guest paths to them.
  const lines: string[] = [];
  const table: string[] = [];
  const modules: any[] = [];
  let i = 0;
  for (const site of sites) {
    for (const rel of readdirSync(site, { recursive: true }) as string[]) {
      if (!rel.endsWith(".so")) continue;
      const name = `ext/m${i}.wasm`;
      copyFileSync(join(site, rel), join(dir, name));
      modules.push({ type: "CompiledWasm", path: join(dir, name), contents: readFileSync(join(dir, name)) });
      lines.push(`import m${i} from "./${name}";`);
      table.push(`  ${JSON.stringify(`/lib/site/${rel.split(sep).join("/")}`)}: m${i},`);
      i++;
    }
  }
  writeFileSync(join(dir, "extensions.mjs"), `${lines.join("\n")}\nexport default {\n${table.join("\n")}\n};\n`);
  mf = new Miniflare({
    modulesRoot: dir,
    modules: [
      { type: "ESModule", path: join(dir, "worker.js"), contents: readFileSync(join(dir, "worker.js")) },
      { type: "ESModule", path: join(dir, "extensions.mjs"), contents: readFileSync(join(dir, "extensions.mjs")) },
      { type: "CompiledWasm", path: join(dir, "python.wasm"), contents: readFileSync(join(dir, "python.wasm")) },
      { type: "Data", path: join(dir, "python313.zip"), contents: readFileSync(join(dir, "python313.zip")) },
      { type: "Data", path: join(dir, "app.pvfs"), contents: readFileSync(join(dir, "app.pvfs")) },
      ...modules,
    ],
    compatibilityDate: "2025-04-01",
    kvNamespaces: ["MY_KV"],
    bindings: { PYMODE_BINDINGS_DECL: JSON.stringify({ MY_KV: "kv" }) },
    host: "127.0.0.1",
    port: 0,
    handleRuntimeStdio(stdout, stderr) {
      for (const s of [stdout, stderr]) s.on("data", (d: Buffer) => logs.push(d.toString()));
    },
  });
  url = await mf.ready;
}

beforeAll(async () => {
  try {
    await setup();
  } catch (e) {
    setupError = e;
  }
  // Every recipe is built (or copied from the builder's cache, ~/.cache/pymode/extensions); numpy from
  // cold takes 15-25 minutes on 2 shared cores.
}, 3_600_000);
afterAll(async () => {
  await mf?.dispose();
});

async function run(code: string): Promise<{ body: any; linked: string[] }> {
  if (setupError) throw setupError;
  const r = await fetch(url, { method: "POST", body: code });
  const text = await r.text();
  if (r.status !== 200) throw new Error(`status ${r.status}: ${text}\n${logs.join("")}`);
  return { body: JSON.parse(text), linked: JSON.parse(r.headers.get("x-linked") ?? "[]") };
}

describe("C extensions in workerd (pre-compiled side modules, all recipes in one worker)", () => {
  it("markupsafe escapes through its C speedups", async () => {
    const { body, linked } = await run(
      "import markupsafe, markupsafe._speedups as s\nresult = [str(markupsafe.escape('<b>')), markupsafe._escape_inner is s._escape_inner]",
    );
    expect(body).toMatchObject({ ok: true, result: ["&lt;b&gt;", true] });
    expect(linked).toContain("/lib/site/markupsafe/_speedups.cpython-313-wasm32-wasi.so");
  }, 120_000);

  it("a KV read under a C extension frame (propcache's C cached_property) suspends and resumes", async () => {
    const { body } = await run(
      "from propcache.api import cached_property\nenv.MY_KV.put('k', 'from kv')\n" +
        "class A:\n    @cached_property\n    def x(self):\n        return env.MY_KV.get('k')\n" +
        "a = A()\nresult = [a.x, a.x, type(A.__dict__['x']).__module__]",
    );
    expect(body).toMatchObject({ ok: true, result: ["from kv", "from kv", "propcache._helpers_c"] });
  }, 120_000);

  for (const name of RECIPES) {
    it(`${name}: the recipe's test passes (same worker instance as the others)`, async () => {
      const recipe = JSON.parse(readFileSync(join(REPO, "recipes", `${name}.json`), "utf8"));
      const { body, linked } = await run(recipe.test + "\nresult = 'passed'");
      expect(body).toMatchObject({ ok: true, result: "passed" });
      for (const mod of Object.keys(recipe.modules)) {
        const parts = mod.split(".");
        expect(linked).toContain(`/lib/site/${parts.join("/")}.cpython-313-wasm32-wasi.so`);
      }
    }, 120_000);
  }
});
