// The suspension driver is chosen once, at bundle time (scripts/bundle.mjs chooseDriver, issue #13):
// one python.wasm per upload, the plain build for JSPI unless something needs the asyncified one.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import binaryen from "binaryen";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundle } from "../scripts/bundle.mjs";
import { writeFakeRuntime } from "./fixtures/build-fake.mjs";

let tmp: string;
let runtime: string;
let project: string;

/** A minimal side module; `asyncified` adds the import an asyncify-relocatable build has. */
function sideModuleSite(name: string, asyncified: boolean): string {
  const mod = binaryen.parseText(`(module ${asyncified ? '(import "env" "__asyncify_state" (global i32))' : ""} (func (export "PyInit_x")))`);
  const bytes = mod.emitBinary();
  mod.dispose();
  const site = join(tmp, name);
  mkdirSync(site, { recursive: true });
  writeFileSync(join(site, "x.cpython-313-wasm32-wasi.so"), bytes);
  return site;
}

function exportsOf(dir: string): string[] {
  return WebAssembly.Module.exports(new WebAssembly.Module(readFileSync(join(dir, "python.wasm")))).map((e) => e.name);
}

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "pymode-driver-"));
  runtime = writeFakeRuntime(join(tmp, "runtime"));
  project = join(tmp, "project");
  mkdirSync(join(project, "src"), { recursive: true });
  writeFileSync(join(project, "src", "entry.py"), "def on_fetch(request, env):\n    pass\n");
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("bundle: the suspension driver", () => {
  it("auto ships only the plain python.wasm, driven by JSPI", async () => {
    const m = await bundle({ runtime, project, pylib: null, out: join(tmp, "auto") });
    expect([m.app.driver, m.runtime.driver, m.runtime.driver_reason]).toEqual(["jspi", "jspi", "auto: no side module needs Asyncify"]);
    expect(exportsOf(join(tmp, "auto"))).not.toContain("asyncify_get_state");
    expect(m.modules.filter((x: any) => x.type === "compiled-wasm").map((x: any) => x.name)).toEqual(["python.wasm"]);
  });

  it("auto falls back to Asyncify for a side module built for it, naming it; --driver jspi refuses it", async () => {
    const site = sideModuleSite("site-async", true);
    const m = await bundle({ runtime, project, pylib: null, site: [site], out: join(tmp, "ext-auto") });
    expect(m.app.driver).toBe("asyncify");
    expect(m.runtime.driver_reason).toBe("side modules built for Asyncify: /lib/site/x.cpython-313-wasm32-wasi.so");
    expect(exportsOf(join(tmp, "ext-auto"))).toContain("asyncify_get_state");
    await expect(bundle({ runtime, project, pylib: null, site: [site], out: join(tmp, "ext-jspi"), driver: "jspi" })).rejects.toThrow(
      /--driver jspi: side modules built for Asyncify cannot link against the plain python.wasm: \/lib\/site\/x\.cpython-313-wasm32-wasi\.so/,
    );
  });

  it("a plain side module keeps JSPI", async () => {
    const m = await bundle({ runtime, project, pylib: null, site: [sideModuleSite("site-plain", false)], out: join(tmp, "ext-plain") });
    expect(m.app.driver).toBe("jspi");
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
