// Issue #18 item 4: binding kinds are data of the one host call, never part of python.wasm. The
// runtime's imports (and so its build inputs and every worker's build key) are the same whatever the
// kind registry holds.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { BINDING_KINDS } from "../src/bindings/registry";
import { requireRuntime } from "./helpers/scenarios";

const RUNTIME_SRC = resolve(__dirname, "..", "..", "builder-image", "runtime");

describe("binding kinds are not part of the runtime", () => {
  it("python.wasm (both builds) imports exactly the five ABI 2 functions from module pymode", async () => {
    const dir = requireRuntime();
    for (const name of ["python.wasm", "python-noasync.wasm"]) {
      const module = await WebAssembly.compile(readFileSync(join(dir, name)));
      const pymode = WebAssembly.Module.imports(module).filter((i) => i.module === "pymode").map((i) => i.name).sort();
      expect(pymode, name).toEqual(["call", "dl_open", "dl_sym", "log", "result_take"]);
      for (const kind of BINDING_KINDS) expect(pymode).not.toContain(kind.name);
    }
  });

  it("the runtime's sources name no binding kind (so a new descriptor cannot change the runtime's build key)", () => {
    const sources = ["pymode/_pymode.c", "build.sh", "wizer_stub.py"].map((f) => readFileSync(join(RUNTIME_SRC, f), "utf8"));
    for (const kind of BINDING_KINDS) {
      for (const text of sources) {
        expect(text).not.toMatch(new RegExp(`"pymode\\.${kind.name}"|import_name\\("${kind.name}"\\)|pymode\\.${kind.name}[,"]`));
      }
    }
    expect(sources[1]).toMatch(/ASYNC_IMPORTS="pymode\.call,pymode\.dl_open"/);
  });
});
