// Does workerd (via Miniflare) support JS Promise Integration (WebAssembly.Suspending /
// WebAssembly.promising)? Runs a tiny wasm whose import awaits a timer, inside workerd.
// Usage: node bench/jspi-probe.mjs
import { Miniflare } from "miniflare";
import binaryen from "binaryen";

// (module (import "env" "wait" (func $wait (param i32) (result i32)))
//   (func (export "run") (param i32) (result i32) (i32.add (call $wait (local.get 0)) (i32.const 1))))
const mod = binaryen.parseText(`(module (import "env" "wait" (func $wait (param i32) (result i32)))
  (func (export "run") (param i32) (result i32) (i32.add (call $wait (local.get 0)) (i32.const 1))))`);
const wasm = mod.emitBinary();

const script = `
import m from "./probe.wasm";
export default {
  async fetch() {
    const out = { Suspending: typeof WebAssembly.Suspending, promising: typeof WebAssembly.promising };
    if (out.Suspending === "function" && out.promising === "function") {
      try {
        const wait = new WebAssembly.Suspending(async (ms) => { await new Promise(r => setTimeout(r, ms)); return ms * 2; });
        const inst = new WebAssembly.Instance(m, { env: { wait } });
        const run = WebAssembly.promising(inst.exports.run);
        const t0 = Date.now();
        out.result = await run(20);
        out.elapsedMs = Date.now() - t0;
        out.works = out.result === 41;
      } catch (e) { out.error = String(e); }
    }
    return Response.json(out);
  }
}`;

async function probe(flags) {
  const mf = new Miniflare({
    handleRuntimeStdio() {},
    modules: [
      { type: "ESModule", path: "probe.mjs", contents: script },
      { type: "CompiledWasm", path: "probe.wasm", contents: wasm },
    ],
    compatibilityDate: "2025-04-01",
    compatibilityFlags: flags,
  });
  try {
    const r = await mf.dispatchFetch("http://probe/");
    return await r.json();
  } catch (e) {
    return { error: String(e.message ?? e) };
  } finally {
    await mf.dispose();
  }
}

const { version } = JSON.parse(await (await import("node:fs/promises")).readFile(new URL("../node_modules/workerd/package.json", import.meta.url), "utf8"));
console.log(`workerd ${version} (Miniflare)`);
console.log("default flags:", JSON.stringify(await probe([])));
console.log("compat flag experimental:", JSON.stringify(await probe(["experimental"])));
console.log(`node ${process.version}: Suspending=${typeof WebAssembly.Suspending} promising=${typeof WebAssembly.promising}`);
