// Worker entry for extensions-workerd.test.ts: python.wasm plus C-extension side modules in workerd,
// where wasm cannot be compiled at run time. The side modules arrive as CompiledWasm module imports
// (WebAssembly.Module objects), listed by the generated ./extensions.mjs as guest path -> module,
// and are linked with new WebAssembly.Instance (synchronous instantiation, no compilation). This is
// the shape docs/extensions.md proposes for scripts/bundle.mjs and PythonDO.
// @ts-ignore -- resolved by the upload's module set
import pythonWasm from "./python.wasm";
// @ts-ignore
import stdlibZip from "./python313.zip";
// @ts-ignore
import appImage from "./app.pvfs";
// @ts-ignore
import extensions from "./extensions.mjs";
import { CloudflareBindings } from "../src/bindings/cloudflare";
import { DEFAULT_APP_CONFIG, bindingsDescription, buildVfs, pythonEnviron } from "../src/runtime/config";
import { PythonInstance, consoleLogger } from "../src/runtime/instance";
import { SideModuleLinker, modulesSource } from "../src/runtime/dynlink";
import { decodeHttpResponse, encodeHttpRequest } from "../src/runtime/frames";

let instance: Promise<PythonInstance> | undefined;
let linker: SideModuleLinker | undefined;

export default {
  async fetch(request: Request, env: Record<string, unknown>): Promise<Response> {
    if (!instance) {
      linker = new SideModuleLinker({ source: modulesSource(extensions as Record<string, WebAssembly.Module>) });
      instance = PythonInstance.create({
        module: pythonWasm as WebAssembly.Module,
        vfs: buildVfs(new Uint8Array(stdlibZip as ArrayBuffer), new Uint8Array(appImage as ArrayBuffer)),
        bindings: new CloudflareBindings({ env }),
        env: pythonEnviron(DEFAULT_APP_CONFIG, bindingsDescription(env), "main"),
        preopens: DEFAULT_APP_CONFIG.preopens,
        logger: consoleLogger,
        linker,
      });
    }
    const inst = await instance;
    const body = new Uint8Array(await request.arrayBuffer());
    const frames = await inst.handle(encodeHttpRequest({ method: "POST", url: request.url, headers: [] }, body));
    const resp = decodeHttpResponse(frames);
    return new Response(resp.body, {
      status: resp.head.status,
      headers: { "content-type": "application/json", "x-linked": JSON.stringify(linker!.list().map((l) => l.path)) },
    });
  },
};
