// The suspension driver is chosen once, at bundle time (scripts/bundle.mjs chooseDriver, issue #13):
// one python.wasm per upload, the plain build for JSPI unless something needs the asyncified one, and
// one variant of each C-extension side module, the one that driver links.
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import binaryen from "binaryen";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundle } from "../scripts/bundle.mjs";
import { writeFakeProject, writeFakeRuntime } from "./fixtures/build-fake.mjs";

let tmp: string;
let runtime: string;
let project: string;

const SO = "x.cpython-313-wasm32-wasi.so";
const SO_PATH = `/lib/site/${SO}`;

/** A minimal side module; `asyncified` adds the import an asyncify-relocatable build has. */
function sideModule(asyncified: boolean): Uint8Array {
  const mod = binaryen.parseText(`(module ${asyncified ? '(import "env" "__asyncify_state" (global i32))' : ""} (func (export "PyInit_x")))`);
  const bytes = mod.emitBinary();
  mod.dispose();
  return bytes;
}

/** A site dir with files named like the extension builder's output: {file name: asyncified?}. */
function sideModuleSite(name: string, files: Record<string, boolean>): string {
  const site = join(tmp, name);
  mkdirSync(site, { recursive: true });
  for (const [file, asyncified] of Object.entries(files)) writeFileSync(join(site, file), sideModule(asyncified));
  return site;
}
/** What build_extension.py writes: the plain module at FileFinder's path, the Asyncify variant beside it. */
const BOTH = { [SO]: false, [`${SO}.asyncify.wasm`]: true };

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** The paths in a bundle's app.pvfs (frames: u32 length + bytes, path and content alternating). */
function vfsPaths(dir: string): string[] {
  const b = readFileSync(join(dir, "app.pvfs"));
  const paths: string[] = [];
  for (let off = 0, i = 0; off < b.length; i++) {
    const n = b.readUInt32LE(off);
    if (i % 2 === 0) paths.push(b.subarray(off + 4, off + 4 + n).toString());
    off += 4 + n;
  }
  return paths;
}

/** The ext/ files an upload carries, with the sha256 of each. */
function shippedExt(dir: string): string[] {
  return readdirSync(join(dir, "ext")).map((f) => sha256(readFileSync(join(dir, "ext", f))));
}

function exportsOf(dir: string): string[] {
  return WebAssembly.Module.exports(new WebAssembly.Module(readFileSync(join(dir, "python.wasm")))).map((e) => e.name);
}

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "pymode-driver-"));
  runtime = writeFakeRuntime(join(tmp, "runtime"));
  project = writeFakeProject(join(tmp, "project"));
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("bundle: the suspension driver", () => {
  it("auto ships only the plain python.wasm, driven by JSPI", async () => {
    const m = await bundle({ runtime, project, pylib: null, out: join(tmp, "auto") });
    expect([m.app.driver, m.runtime.driver, m.runtime.driver_reason]).toEqual(["jspi", "jspi", "auto: no side module needs Asyncify"]);
    expect(exportsOf(join(tmp, "auto"))).not.toContain("asyncify_get_state");
    expect(m.modules.filter((x: any) => x.type === "compiled-wasm").map((x: any) => x.name)).toEqual(["python.wasm"]);
  });

  it("side modules in both variants: auto ships JSPI and only the plain variants", async () => {
    const site = sideModuleSite("site-both", BOTH);
    const out = join(tmp, "ext-both");
    const m = await bundle({ runtime, project, pylib: null, site: [site], out });
    expect([m.app.driver, m.runtime.driver_reason]).toEqual(["jspi", "auto: no side module needs Asyncify"]);
    const plain = sha256(readFileSync(join(site, SO)));
    expect(m.extensions).toEqual([expect.objectContaining({ path: SO_PATH, variant: "plain", sha256: plain })]);
    expect(shippedExt(out)).toEqual([plain]);
    expect(m.modules.filter((x: any) => x.type === "compiled-wasm").map((x: any) => x.name)).toEqual(["python.wasm", m.extensions[0].module]);
    // the VFS keeps a stub at FileFinder's path and nothing of the Asyncify variant
    expect(vfsPaths(out)).toEqual(["/app/src/entry.py", SO_PATH]);
    expect(exportsOf(out)).not.toContain("asyncify_get_state");
  });

  it("side modules in both variants: --driver asyncify ships only the Asyncify variants", async () => {
    const site = sideModuleSite("site-both-async", BOTH);
    const out = join(tmp, "ext-both-async");
    const m = await bundle({ runtime, project, pylib: null, site: [site], out, driver: "asyncify" });
    expect([m.app.driver, m.runtime.driver_reason]).toEqual(["asyncify", "--driver asyncify"]);
    const async = sha256(readFileSync(join(site, `${SO}.asyncify.wasm`)));
    expect(m.extensions).toEqual([expect.objectContaining({ path: SO_PATH, variant: "asyncify", sha256: async })]);
    expect(shippedExt(out)).toEqual([async]);
    expect(vfsPaths(out)).toEqual(["/app/src/entry.py", SO_PATH]);
    expect(exportsOf(out)).toContain("asyncify_get_state");
  });

  it("a side module built only for Asyncify (an older artifact): auto falls back to Asyncify naming it; --driver jspi refuses it", async () => {
    const site = sideModuleSite("site-async", { [SO]: true });
    const m = await bundle({ runtime, project, pylib: null, site: [site], out: join(tmp, "ext-auto") });
    expect(m.app.driver).toBe("asyncify");
    expect(m.runtime.driver_reason).toBe(`auto: side modules built only for Asyncify: ${SO_PATH}`);
    expect(m.extensions).toEqual([expect.objectContaining({ path: SO_PATH, variant: "asyncify" })]);
    expect(exportsOf(join(tmp, "ext-auto"))).toContain("asyncify_get_state");
    await expect(bundle({ runtime, project, pylib: null, site: [site], out: join(tmp, "ext-jspi"), driver: "jspi" })).rejects.toThrow(
      /--driver jspi: side modules built only for Asyncify \(no plain variant\) cannot link against the plain python.wasm: \/lib\/site\/x\.cpython-313-wasm32-wasi\.so/,
    );
  });

  it("a plain-only side module keeps JSPI; under --driver asyncify it ships plain, named in the reason", async () => {
    const site = sideModuleSite("site-plain", { [SO]: false });
    const m = await bundle({ runtime, project, pylib: null, site: [site], out: join(tmp, "ext-plain") });
    expect(m.app.driver).toBe("jspi");
    const a = await bundle({ runtime, project, pylib: null, site: [site], out: join(tmp, "ext-plain-async"), driver: "asyncify" });
    expect(a.runtime.driver_reason).toBe(`--driver asyncify; no Asyncify variant (host calls from their C callbacks are refused): ${SO_PATH}`);
    expect(a.extensions).toEqual([expect.objectContaining({ variant: "plain", sha256: sha256(readFileSync(join(site, SO))) })]);
  });

  it("refuses variant files that do not fit: not asyncified, no .so beside it, two Asyncify variants", async () => {
    const cases: [Record<string, boolean>, RegExp][] = [
      [{ [SO]: false, [`${SO}.asyncify.wasm`]: false }, /x\.cpython-313-wasm32-wasi\.so\.asyncify\.wasm is named as an Asyncify variant but is not asyncified/],
      [{ [`${SO}.asyncify.wasm`]: true }, /is an Asyncify variant of \/lib\/site\/x\.cpython-313-wasm32-wasi\.so, which no site dir has/],
      [{ [SO]: true, [`${SO}.asyncify.wasm`]: true }, /two asyncify variants of \/lib\/site\/x\.cpython-313-wasm32-wasi\.so/],
    ];
    for (const [i, [files, message]] of cases.entries()) {
      await expect(bundle({ runtime, project, pylib: null, site: [sideModuleSite(`site-bad-${i}`, files)], out: join(tmp, `bad-${i}`) })).rejects.toThrow(message);
    }
  });

  it("auto uses Asyncify when the runtime has no plain build (published before JSPI)", async () => {
    const old = join(tmp, "old-runtime");
    writeFakeRuntime(old);
    rmSync(join(old, "python-noasync.wasm"));
    const m = await bundle({ runtime: old, project, pylib: null, out: join(tmp, "old") });
    expect([m.app.driver, m.runtime.driver_reason]).toEqual(["asyncify", "auto: the runtime has no python-noasync.wasm"]);
  });

  it("refuses a --wasm (snapshot) made from the other build, and an unknown driver", async () => {
    await expect(bundle({ runtime, project, pylib: null, out: join(tmp, "mismatch"), wasm: join(runtime, "python.wasm") })).rejects.toThrow(
      /python\.wasm is asyncified, but the driver is jspi \(auto: no side module needs Asyncify\); snapshot python-noasync\.wasm instead/,
    );
    await expect(bundle({ runtime, project, pylib: null, out: join(tmp, "x"), driver: "fast" })).rejects.toThrow(/--driver must be one of auto, jspi, asyncify, got "fast"/);
  });
});
