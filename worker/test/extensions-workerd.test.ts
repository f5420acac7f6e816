// C extensions in workerd, in the bundle a deploy uploads: scripts/bundle.mjs turns every side module
// in the site dirs into a CompiledWasm module (Workers cannot compile wasm at run time) and the
// Worker's PythonDO links them into python.wasm through dynlink.ts when CPython dlopen()s them.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO, runtimeDir } from "./extension-harness";
import { extensionAppInWorkerd } from "./helpers/extension-app-workerd";

const RECIPES = readdirSync(join(REPO, "recipes"))
  .filter((f) => f.endsWith(".json") && f !== "schema.json")
  .map((f) => f.replace(/\.json$/, ""))
  .sort();

/** Every recipe (depends included) built into its own site dir, all for one worker. */
function recipeSites(): string[] {
  const work = mkdtempSync(join(tmpdir(), "pymode-ext-workerd-"));
  return RECIPES.map((name) => {
    const out = join(work, name);
    // `rust` recipes (PyO3 crates) have their own builder; the output has the same layout
    const rust = "rust" in JSON.parse(readFileSync(join(REPO, "recipes", `${name}.json`), "utf8"));
    const builder = rust ? "build_rust_extension.py" : "build_extension.py";
    execFileSync("python3", [join(REPO, "builder-image/extensions", builder), join(REPO, "recipes", `${name}.json`), "--runtime-dir", runtimeDir(), "--out", out], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    return join(out, "site");
  });
}

// Every recipe is built (or copied from the builder's cache, ~/.cache/pymode/extensions); numpy from
// cold takes 15-25 minutes on 2 shared cores.
const { manifest: bundleManifest, run } = extensionAppInWorkerd(async () => ({ site: recipeSites() }), 3_600_000);

/** Python that asserts each module was loaded from its side module by CPython's extension loader. */
const loadedFromSideModules = (mods: string[]) =>
  `import importlib, importlib.machinery\n` +
  `for _m in ${JSON.stringify(mods)}:\n` +
  `    _mod = importlib.import_module(_m)\n` +
  `    assert isinstance(_mod.__loader__, importlib.machinery.ExtensionFileLoader), (_m, _mod.__loader__)\n` +
  `    assert _mod.__file__.endswith('.cpython-313-wasm32-wasi.so'), _mod.__file__\n`;

describe("C and Rust extensions in workerd (bundle.mjs side modules, all recipes in one worker)", () => {
  it("the bundle carries each side module as a CompiledWasm module (its plain variant: JSPI) and a stub in the VFS", () => {
    const manifest = bundleManifest();
    expect(manifest.extensions.length).toBeGreaterThanOrEqual(RECIPES.length - 1); // idna is pure Python
    // every recipe comes in both variants, so the bundle runs JSPI and ships the plain ones only
    expect([manifest.app.driver, manifest.runtime.driver_reason]).toEqual(["jspi", "auto: no side module needs Asyncify"]);
    for (const ext of manifest.extensions) {
      expect(ext.variant).toBe("plain");
      expect(ext.path).toMatch(/^\/lib\/site\/.+\.cpython-313-wasm32-wasi\.so$/);
      const mod = manifest.modules.find((m: any) => m.name === ext.module);
      expect(mod).toMatchObject({ type: "compiled-wasm", content_type: "application/wasm", size: ext.size, sha256: ext.sha256 });
      expect(ext.module).toMatch(/^ext\/[A-Za-z0-9_.-]+-[0-9a-f]{12}\.wasm$/);
    }
    // the VFS holds a stub, not the side module's bytes: each module is uploaded once
    const vfs = manifest.modules.find((m: any) => m.name === "app.pvfs");
    const total = manifest.extensions.reduce((n: number, e: any) => n + e.size, 0);
    expect(vfs.size).toBeLessThan(total);
  });

  it("markupsafe escapes through its C speedups", async () => {
    const body = await run(
      loadedFromSideModules(["markupsafe._speedups"]) +
        "import markupsafe, markupsafe._speedups as s\nresult = [str(markupsafe.escape('<b>')), markupsafe._escape_inner is s._escape_inner]",
    );
    expect(body).toMatchObject({ ok: true, result: ["&lt;b&gt;", true] });
  }, 120_000);

  it("a KV read under a C extension frame (propcache's C cached_property) suspends and resumes (JSPI, plain side module)", async () => {
    const body = await run(
      "from propcache.api import cached_property\nenv.MY_KV.put('k', 'from kv')\n" +
        "class A:\n    @cached_property\n    def x(self):\n        return env.MY_KV.get('k')\n" +
        "a = A()\nresult = [a.x, a.x, type(A.__dict__['x']).__module__]",
    );
    expect(body).toMatchObject({ ok: true, result: ["from kv", "from kv", "propcache._helpers_c"] });
  }, 120_000);

  for (const name of RECIPES) {
    it(`${name}: the recipe's test passes (same worker instance as the others)`, async () => {
      const recipe = JSON.parse(readFileSync(join(REPO, "recipes", `${name}.json`), "utf8"));
      const body = await run(loadedFromSideModules(Object.keys(recipe.modules)) + recipe.test + "\nresult = 'passed'");
      expect(body).toMatchObject({ ok: true, result: "passed" });
    }, 120_000);
  }
});
