// A python.wasm instance with the side-module linker, for the C-extension tests
// (extensions.test.ts here, builder-image/tests/test_extensions.py through extension-run.mjs).
// The app (extension-app/src/entry.py) runs the posted Python code and answers JSON.

import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
// @ts-ignore -- plain ESM build script
import { bundle } from "../scripts/bundle.mjs";
import { CloudflareBindings } from "../src/bindings/cloudflare";
import { bindingsDescription, buildVfs, pythonEnviron } from "../src/runtime/config";
import { LogRecord, PythonInstance } from "../src/runtime/instance";
import { SideModuleLinker, compilingSource, modulesSource } from "../src/runtime/dynlink";
import { decodeHttpResponse, encodeHttpRequest } from "../src/runtime/frames";
import { MemoryKV, nodeConnect } from "../src/node/fakes";
import { NODE_HOST_DRIVER } from "./helpers/driver";
import { loadBundle, sideModuleFile } from "../src/node/host";

const here = dirname(fileURLToPath(import.meta.url));
export const EXTENSION_APP = join(here, "extension-app");
export const REPO = resolve(here, "..", "..");

export interface ExtensionApp {
  /** The bundle's bundle.json. */
  manifest: any;
  instance: PythonInstance;
  linker: SideModuleLinker;
  logs: LogRecord[];
  kv: MemoryKV;
  /** Run Python code in the app; resolves to the app's JSON answer. */
  run(code: string): Promise<any>;
  timings: { compileMs: number; instantiateAndInitMs: number };
}

export function runtimeDir(): string {
  return process.env.PYMODE_RUNTIME_DIR || join(process.env.HOME ?? "", ".cache", "pymode", "runtime", "current");
}

/** Bundle the test app with `sites` (extension builder outputs' site/ dirs) and start an instance. */
export async function startExtensionApp(
  sites: string[],
  opts: { runtime?: string; precompiled?: boolean; driver?: "auto" | "jspi" | "asyncify"; stdlib?: "auto" | "full" } = {},
): Promise<ExtensionApp> {
  const runtime = opts.runtime ?? runtimeDir();
  const out = mkdtempSync(join(tmpdir(), "pymode-ext-bundle-"));
  // Without JSPI (Node 20) every bundle must be asyncified; with it, the bundle picks (auto).
  const driver = opts.driver ?? (NODE_HOST_DRIVER === "jspi" ? "auto" : "asyncify");
  await bundle({ runtime, project: EXTENSION_APP, pylib: join(REPO, "pylib"), out, site: sites, driver, stdlib: opts.stdlib });
  const manifest = JSON.parse(readFileSync(join(out, "bundle.json"), "utf8"));
  const rtManifest = JSON.parse(readFileSync(join(runtime, "manifest.json"), "utf8"));
  let t = Date.now();
  const module = await WebAssembly.compile(readFileSync(join(out, "python.wasm")));
  const compileMs = Date.now() - t;
  const vfs = buildVfs(new Uint8Array(readFileSync(join(out, "python313.zip"))), new Uint8Array(readFileSync(join(out, "app.pvfs"))));
  // precompiled: every side module of the bundle compiled up front and looked up by guest path, the way
  // PythonDO gets them (CompiledWasm modules, docs/extensions.md). Otherwise node compiles the bundle's
  // module for the path on first dlopen (the VFS holds only a stub there).
  const source = opts.precompiled
    ? modulesSource((await loadBundle(out)).sideModules)
    : compilingSource((path) => {
        const file = sideModuleFile(out, manifest, path);
        return file ? new Uint8Array(readFileSync(file)) : undefined;
      });
  const linker = new SideModuleLinker({ soabi: rtManifest.extensions?.soabi, source });
  const kv = new MemoryKV();
  const env: Record<string, unknown> = { MY_KV: kv, PYMODE_BINDINGS_DECL: JSON.stringify({ MY_KV: "kv" }) };
  const logs: LogRecord[] = [];
  t = Date.now();
  const instance = await PythonInstance.create({
    module,
    vfs,
    bindings: new CloudflareBindings({ env, connect: nodeConnect }),
    env: pythonEnviron(manifest.app, bindingsDescription(env), "main"),
    preopens: manifest.app.preopens,
    asyncifyStackSize: manifest.app.asyncifyStackSize,
    driver: manifest.app.driver,
    logger: (r) => logs.push(r),
    linker,
  });
  const instantiateAndInitMs = Date.now() - t;
  const run = async (code: string) => {
    const frames = await instance.handle(
      encodeHttpRequest({ method: "POST", url: "https://ext.test/run", headers: [["content-type", "text/plain"]] }, new TextEncoder().encode(code)),
    );
    const resp = decodeHttpResponse(frames);
    const text = new TextDecoder().decode(resp.body);
    if (resp.head.status !== 200) throw new Error(`status ${resp.head.status}: ${text}\n${logs.map((l) => l.message).join("\n")}`);
    return JSON.parse(text);
  };
  return { manifest, instance, linker, logs, kv, run, timings: { compileMs, instantiateAndInitMs } };
}
