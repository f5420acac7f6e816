// C extensions as wasm side modules (issue #7) on the node host: recipes built by
// builder-image/extensions/build_extension.py, linked by src/runtime/dynlink.ts into python.wasm.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_SOABI, SideModuleLinker, readAbi, readDylink } from "../src/runtime/dynlink";
import { REPO, runtimeDir, startExtensionApp } from "./extension-harness";
import { NODE_HOST_DRIVER } from "./helpers/driver";

const built: Record<string, string> = {};
let setupError: unknown;

function buildRecipe(name: string, recipe: string, ...extra: string[]): string {
  const out = join(mkdtempSync(join(tmpdir(), "pymode-ext-")), name);
  execFileSync("python3", [join(REPO, "builder-image/extensions/build_extension.py"), recipe, "--runtime-dir", runtimeDir(), "--out", out, ...extra], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  return out;
}

beforeAll(() => {
  try {
    built.markupsafe = buildRecipe("markupsafe", join(REPO, "recipes/markupsafe.json"));
    built.testext = buildRecipe("testext", join(REPO, "builder-image/extensions/testext/testext.json"));
  } catch (e) {
    setupError = e; // every test fails with it: a missing runtime or toolchain must not look like a skip
  }
}, 300_000);

/** testext built without Asyncify (a plain side module), built once on first use. */
const plainTestext = () =>
  (built.testextPlain ??= buildRecipe("testext-noasync", join(REPO, "builder-image/extensions/testext/testext.json"), "--no-asyncify"));

const need = () => {
  if (setupError) throw setupError;
};
const soPath = (dir: string, rel: string) => join(dir, "site", rel);

describe("side modules", () => {
  it("carry dylink.0 and the pymode.abi tag", async () => {
    need();
    const m = await WebAssembly.compile(readFileSync(soPath(built.markupsafe!, "markupsafe/_speedups.cpython-313-wasm32-wasi.so")));
    const dl = readDylink(m);
    expect(dl.needed).toEqual([]);
    expect(dl.memorySize).toBeGreaterThan(0);
    expect(readAbi(m)).toMatchObject({ soabi: DEFAULT_SOABI, abi_version: 1, module: "markupsafe._speedups" });
  });

  it("dl_open before attach answers with the reason", () => {
    const l = new SideModuleLinker({ source: () => undefined });
    expect(() => l.open("/x.so")).toThrow(/not attached/);
  });
});

describe("python.wasm imports C extensions through dlopen", () => {
  it("uses markupsafe's C speedups, linked from pre-compiled modules (the workerd way)", async () => {
    need();
    const app = await startExtensionApp([join(built.markupsafe!, "site")], { precompiled: true });
    const path = "/lib/site/markupsafe/_speedups.cpython-313-wasm32-wasi.so";
    const r = await app.run(
      "import markupsafe, markupsafe._speedups as s\n" +
        "result = [str(markupsafe.escape('<b>')), s.__file__, markupsafe._escape_inner is s._escape_inner]",
    );
    expect(r).toMatchObject({ ok: true, result: ["&lt;b&gt;", path, true] });
    expect(app.linker.list().map((l) => l.path)).toEqual([path]);
    await app.instance.dispose();
  }, 120_000);

  it("links data relocations, function pointers and libc; a C callback may wait for the host", async () => {
    need();
    const app = await startExtensionApp([join(built.testext!, "site")]);
    const info = await app.run("import pymode_testext._cb as cb\nresult = [cb.info(), cb.sort([3, 1, 2]), cb.call(lambda: 'py')]");
    expect(info).toMatchObject({ ok: true, result: [["side module linked", 21, 49, 0], [1, 2, 3], "py"] });
    await app.kv.put("k", "v");
    // Asyncify unwinds through the asyncified side-module frame and rewinds it
    const waited = await app.run("import pymode_testext._cb as cb\nresult = cb.call(lambda: [env.MY_KV.get('k') for _ in range(2)])");
    expect(waited).toMatchObject({ ok: true, result: ["v", "v"] });
    expect(app.linker.list().every((l) => l.asyncified)).toBe(true);
    // the same KV read outside the callback suspends and resumes as usual
    expect(await app.run("result = env.MY_KV.get('k')")).toMatchObject({ ok: true, result: "v" });
    const missing = await app.run("import pymode_testext._missing");
    expect(missing).toMatchObject({ ok: false, type: "ImportError" });
    expect(missing.error).toMatch(/undefined symbol PyMode_NoSuchSymbol/);
    await app.instance.dispose();
  }, 120_000);

  it("refuses host calls from callbacks of a side module that is not asyncified", async () => {
    need();
    const app = await startExtensionApp([join(plainTestext(), "site")], { driver: "asyncify" });
    await app.kv.put("k", "v");
    const blocked = await app.run(
      "import pymode_testext._cb as cb\ntry:\n    cb.call(lambda: env.MY_KV.get('k'))\n    result = None\nexcept Exception as e:\n    result = str(e)",
    );
    expect(blocked.result).toMatch(/C extension \(wasm side module\) is on the stack/);
    expect(await app.run("result = env.MY_KV.get('k')")).toMatchObject({ ok: true, result: "v" });
    await app.instance.dispose();
  }, 120_000);

  // JSPI suspends the whole wasm stack, so a plain side module's frames need no instrumentation.
  // Runs where this Node has JSPI (worker/test.sh's Node 26 pass); Node 20 covers the Asyncify case above.
  it.runIf(NODE_HOST_DRIVER === "jspi")("JSPI: a C callback of a plain side module may wait for the host", async () => {
    need();
    const app = await startExtensionApp([join(plainTestext(), "site")]);
    expect(app.manifest.app.driver).toBe("jspi");
    await app.kv.put("k", "v");
    const waited = await app.run("import pymode_testext._cb as cb\nresult = cb.call(lambda: [env.MY_KV.get('k') for _ in range(2)])");
    expect(waited).toMatchObject({ ok: true, result: ["v", "v"] });
    expect(app.linker.list().some((l) => l.asyncified)).toBe(false);
    await app.instance.dispose();
  }, 120_000);

  it("refuses a side module built for another Python ABI with an ImportError", async () => {
    need();
    const out = buildRecipe("ms312", join(REPO, "recipes/markupsafe.json"), "--soabi", "cpython-312-wasm32-wasi");
    const app = await startExtensionApp([join(out, "site")]);
    const r = await app.run("import markupsafe._speedups");
    expect(r).toMatchObject({ ok: false, type: "ImportError" });
    expect(r.error).toMatch(/ABI mismatch: built for cpython-312-wasm32-wasi/);
    await app.instance.dispose();
  }, 120_000);
});
