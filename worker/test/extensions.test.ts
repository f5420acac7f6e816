// C extensions as wasm side modules (issue #7) on the node host: recipes built by
// builder-image/extensions/build_extension.py, linked by src/runtime/dynlink.ts into python.wasm.
// The same tests run on both drivers: Asyncify on Node 20 (the Asyncify variants) and JSPI on Node 26
// (worker/test.sh's second pass: the plain variants).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
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

/** testext built without its Asyncify variant (plain side modules only), built once on first use. */
const plainTestext = () =>
  (built.testextPlain ??= buildRecipe("testext-noasync", join(REPO, "builder-image/extensions/testext/testext.json"), "--no-asyncify"));

const need = () => {
  if (setupError) throw setupError;
};
const soPath = (dir: string, rel: string) => join(dir, "site", rel);

describe("side modules", () => {
  it("come in two variants, plain at FileFinder's path and asyncified beside it, each with dylink.0 and the pymode.abi tag", async () => {
    need();
    const spec = JSON.parse(readFileSync(join(built.markupsafe!, "manifest.json"), "utf8")).modules["markupsafe._speedups"];
    expect(spec.file).toBe("markupsafe/_speedups.cpython-313-wasm32-wasi.so");
    expect(spec.asyncify.file).toBe("markupsafe/_speedups.cpython-313-wasm32-wasi.so.asyncify.wasm");
    for (const [v, asyncify] of [[spec, null], [spec.asyncify, "relocatable"]] as const) {
      const bytes = readFileSync(soPath(built.markupsafe!, v.file));
      expect([bytes.byteLength, createHash("sha256").update(bytes).digest("hex")]).toEqual([v.size, v.sha256]);
      const m = await WebAssembly.compile(bytes);
      const dl = readDylink(m);
      expect(dl.needed).toEqual([]);
      expect(dl.memorySize).toBeGreaterThan(0);
      expect(readAbi(m)).toMatchObject({ soabi: DEFAULT_SOABI, abi_version: 1, module: "markupsafe._speedups", asyncify });
      expect(WebAssembly.Module.imports(m).some((i) => i.name === "__asyncify_state")).toBe(asyncify !== null);
    }
  });

  // An Asyncify variant cannot link against the plain python.wasm (JSPI): the bundle never ships one there
  // (bundle-driver.test.ts), and the linker refuses one that got there anyway, naming the fix.
  it("an Asyncify variant is refused when python.wasm is the plain build (JSPI)", () => {
    need();
    const asyncVariant = new WebAssembly.Module(readFileSync(soPath(built.markupsafe!, "markupsafe/_speedups.cpython-313-wasm32-wasi.so.asyncify.wasm")));
    const linker = new SideModuleLinker({ source: () => asyncVariant });
    // the exports the linker needs from a plain python.wasm (no asyncify_get_state)
    linker.attach({
      memory: new WebAssembly.Memory({ initial: 1 }),
      __indirect_function_table: new WebAssembly.Table({ element: "anyfunc", initial: 1 }),
      __stack_pointer: new WebAssembly.Global({ value: "i32", mutable: true }, 65536),
      aligned_alloc: () => 1024,
    });
    expect(() => linker.open("/lib/site/markupsafe/_speedups.cpython-313-wasm32-wasi.so")).toThrow(
      /it is the Asyncify variant, which links only against the asyncified python\.wasm.*bundle the plain variant/,
    );
  });

  it("dl_open before attach answers with the reason", () => {
    const l = new SideModuleLinker({ source: () => undefined });
    expect(() => l.open("/x.so")).toThrow(/not attached/);
  });
});

describe("the runtime's own side modules (lib-dynload: the CJK codecs, unicodedata, pyexpat, _elementtree)", () => {
  const dynload = "/lib/python3.13/lib-dynload/";
  const asyncified = NODE_HOST_DRIVER !== "jspi";
  it(`load through dlopen on first import, in the variant of the driver (${NODE_HOST_DRIVER})`, async () => {
    const app = await startExtensionApp([], { precompiled: true, stdlib: "full" });
    try {
      expect(app.manifest.runtime_modules.map((m: any) => m.variant)).toEqual(Array(10).fill(asyncified ? "asyncify" : "plain"));
      const r = await app.run(
        "import sys, unicodedata\n" +
          "result = [unicodedata.name('\u00e9'), '\u65e5\u672c'.encode('shift_jis').hex(), b'\\x93\\xfa'.decode('shift_jis'),\n" +
          "          '\u4e2d'.encode('gb2312').hex(), unicodedata.__file__, 'unicodedata' in sys.builtin_module_names]",
      );
      expect(r).toMatchObject({ ok: true, result: ["LATIN SMALL LETTER E WITH ACUTE", "93fa967b", "\u65e5", "d6d0", `${dynload}unicodedata.cpython-313-wasm32-wasi.so`, false] });
      const linked = app.linker.list();
      expect(linked.map((l) => l.path).sort()).toEqual(["_codecs_cn", "_codecs_jp", "_multibytecodec", "unicodedata"].map((m) => `${dynload}${m}.cpython-313-wasm32-wasi.so`));
      expect(linked.every((l) => l.asyncified === asyncified)).toBe(true);
    } finally {
      await app.instance.dispose();
    }
  }, 120_000);

  it(`xml (expat through pyexpat, ElementTree's C accelerator reaching it through pyexpat's capsule) in the ${NODE_HOST_DRIVER} driver, beside the built-in decimal`, async () => {
    const app = await startExtensionApp([], { precompiled: true, stdlib: "full" });
    try {
      const r = await app.run(
        "import sys, io, decimal, xml.etree.ElementTree as ET, xml.parsers.expat, xml.dom.minidom\n" +
          "from decimal import Decimal, localcontext\n" +
          "with localcontext(prec=40):\n    q = str(Decimal(2).sqrt())\n" +
          "root = ET.fromstring('<r><i n=\"a\"/><i n=\"b\">t</i></r>')\n" +
          "ends = [el.tag for _, el in ET.iterparse(io.BytesIO(b'<a><b/></a>'))]\n" +
          "seen = []\np = xml.parsers.expat.ParserCreate()\np.StartElementHandler = lambda n, a: seen.append(n)\np.Parse(b'<x><y/></x>', True)\n" +
          "result = [q, str(Decimal('0.1') + Decimal('0.2')), [i.get('n') for i in root], ends, seen,\n" +
          "          xml.dom.minidom.parseString('<d k=\"v\"/>').documentElement.getAttribute('k'),\n" +
          "          ET.XMLParser is sys.modules['_elementtree'].XMLParser, sys.modules['pyexpat'].__file__, '_decimal' in sys.builtin_module_names]",
      );
      expect(r).toMatchObject({
        ok: true,
        result: ["1.414213562373095048801688724209698078570", "0.3", ["a", "b"], ["b", "a"], ["x", "y"], "v", true, `${dynload}pyexpat.cpython-313-wasm32-wasi.so`, true],
      });
      const linked = app.linker.list();
      expect(linked.map((l) => l.path).sort()).toEqual(["_elementtree", "pyexpat"].map((m) => `${dynload}${m}.cpython-313-wasm32-wasi.so`));
      expect(linked.every((l) => l.asyncified === asyncified)).toBe(true);
    } finally {
      await app.instance.dispose();
    }
  }, 120_000);

  it("a module the bundle left out fails with an ImportError that names it and the option to add it", async () => {
    const app = await startExtensionApp([], { precompiled: true });
    try {
      expect(app.manifest.runtime_modules).toEqual([]);
      expect(app.manifest.runtime_modules_left_out).toContain("unicodedata");
      const r = await app.run("import unicodedata");
      expect(r).toMatchObject({ ok: false, type: "ImportError" });
      expect(r.error).toContain("the runtime module unicodedata is left out of this bundle");
      expect(r.error).toContain('stdlib-include = ["unicodedata"]');
      const c = await app.run("'x'.encode('shift_jis')");
      // encodings' search function swallows the ImportError; pymode's (pylib _handler.py) reports it
      expect(c).toMatchObject({ ok: false, type: "LookupError" });
      expect(c.error).toContain("unknown encoding: shift_jis: ");
      expect(c.error).toContain('the runtime module _codecs_jp is left out of this bundle');
      expect(c.error).toContain('stdlib-include = ["_codecs_jp"]');
      expect(await app.run("'x'.encode('no-such-codec')")).toMatchObject({ ok: false, type: "LookupError", error: "unknown encoding: no-such-codec" });
      // decimal is built in: it works in any bundle
      expect(await app.run("import decimal\nresult = str(decimal.Decimal(1) / 8)")).toMatchObject({ ok: true, result: "0.125" });
      const x = await app.run("import xml.parsers.expat");
      expect(x).toMatchObject({ ok: false, type: "ImportError" });
      expect(x.error).toContain('stdlib-include = ["pyexpat"]');
      // ElementTree imports without its accelerator (pure Python) and needs expat to parse
      const e = await app.run("import xml.etree.ElementTree as ET\nET.fromstring('<a/>')");
      expect(e).toMatchObject({ ok: false, type: "ImportError" });
      expect(e.traceback).toContain("the runtime module pyexpat is left out of this bundle");
      expect(app.manifest.runtime_modules_left_out).toEqual(expect.arrayContaining(["pyexpat", "_elementtree"]));
      expect(app.manifest.runtime_modules_left_out).not.toContain("_decimal");
      // the instance stays healthy
      expect(await app.run("result = 'ok'")).toMatchObject({ ok: true, result: "ok" });
    } finally {
      await app.instance.dispose();
    }
  }, 120_000);
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

  it(`links data relocations, function pointers and libc; a C callback may wait for the host (${NODE_HOST_DRIVER})`, async () => {
    need();
    const app = await startExtensionApp([join(built.testext!, "site")]);
    // the bundle runs this Node's driver and ships the variant that driver links, one per module
    expect(app.manifest.app.driver).toBe(NODE_HOST_DRIVER);
    const variant = NODE_HOST_DRIVER === "jspi" ? "plain" : "asyncify";
    expect(app.manifest.extensions.map((e: any) => e.variant)).toEqual([variant, variant]);
    const info = await app.run("import pymode_testext._cb as cb\nresult = [cb.info(), cb.sort([3, 1, 2]), cb.call(lambda: 'py')]");
    expect(info).toMatchObject({ ok: true, result: [["side module linked", 21, 49, 0], [1, 2, 3], "py"] });
    expect(app.linker.list().map((l) => l.asyncified)).toEqual([variant === "asyncify"]);
    await app.kv.put("k", "v");
    // Suspension under a C-extension frame: python.wasm -> cb.call (side module) -> Python -> KV read.
    // The read waits for a gate the test opens, so the wasm stack stays suspended with the side-module
    // frame on it while JS runs (JSPI suspends it as is; Asyncify unwinds it and rewinds it). The C
    // frame resumes where it was: cb.call counted once per call (a frame re-run from its start would
    // count again).
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const reads: string[] = [];
    const getWithMetadata = app.kv.getWithMetadata.bind(app.kv);
    app.kv.getWithMetadata = async (key: string, opts?: any) => {
      reads.push(key);
      await gate;
      return getWithMetadata(key, opts);
    };
    let settled = false;
    const pending = app
      .run("import pymode_testext._cb as cb\nresult = [cb.call(lambda: [env.MY_KV.get('k') for _ in range(2)]), cb.info()[3]]")
      .finally(() => (settled = true));
    pending.catch(() => undefined); // awaited below
    for (let i = 0; i < 200 && !reads.length && !settled; i++) await new Promise((r) => setTimeout(r, 10));
    if (settled) await pending; // it failed before the read (e.g. "SuspendError: trying to suspend JS frames")
    expect(reads).toEqual(["k"]);
    await new Promise((r) => setTimeout(r, 50));
    expect(settled).toBe(false);
    open();
    expect(await pending).toMatchObject({ ok: true, result: [["v", "v"], 2] });
    expect(reads).toEqual(["k", "k"]);
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
