// Side-module linker (issue #7): links pre-compiled wasm side modules (C extensions built by
// builder-image/extensions/build_extension.py) into a running python.wasm instance, answering the
// `dl_open` / `dl_sym` host imports that python.wasm's dlopen/dlsym (pymode/dynload_pymode.c) call
// from CPython's import machinery. docs/extensions.md describes the whole mechanism.
//
// A side module (wasm-ld --experimental-pic -shared) imports from `env`: the main memory and
// indirect function table, `__memory_base` / `__table_base` (where its data and table slots go),
// `__stack_pointer` (the shared shadow stack), the functions and data it uses from python.wasm, and
// `GOT.mem.*` / `GOT.func.*` globals holding addresses and function-table indices. Linking:
//   1. read `dylink.0` (memory size/alignment, table size/alignment, needed libraries);
//   2. allocate its data with python.wasm's `aligned_alloc` and grow the table;
//   3. instantiate with those imports (synchronous: no compilation happens here, the module is
//      given compiled, as Workers require);
//   4. fix GOT entries that point into the side module itself, run `__wasm_apply_data_relocs` and
//      `__wasm_call_ctors`;
//   5. dl_sym(handle, "PyInit_x") puts the export into the table and returns its index, which is a
//      C function pointer in wasm32.

import { HostError, STATUS, describeError } from "./bindings";
import { encodeFrames } from "./frames";

/** Where side modules come from: a compiled module, a promise of one, or undefined (not found). */
export type SideModuleSource = (path: string) => WebAssembly.Module | Promise<WebAssembly.Module> | undefined;

export interface SideModuleLinkerOptions {
  /** Resolves the path CPython dlopen()s (e.g. /lib/site/markupsafe/_speedups.cpython-313-wasm32-wasi.so). */
  source: SideModuleSource;
  /** The runtime's SOABI (manifest.json `extensions.soabi`); side modules carry theirs in a `pymode.abi` section. */
  soabi?: string;
  /** Diagnostics (link timings, missing symbols). */
  log?: (message: string) => void;
}

export interface DylinkInfo {
  memorySize: number;
  memoryAlign: number;
  tableSize: number;
  tableAlign: number;
  needed: string[];
}

export interface SideModuleAbi {
  soabi: string;
  abi_version: number;
  python?: string;
  name?: string;
}

export const PYMODE_ABI_SECTION = "pymode.abi";
export const DEFAULT_SOABI = "cpython-313-wasm32-wasi";

interface Loaded {
  path: string;
  instance: WebAssembly.Instance;
  memoryBase: number;
  tableBase: number;
  /** export name -> table index, filled by dl_sym */
  slots: Map<string, number>;
  /** built with asyncify-relocatable: host calls may suspend through its frames */
  asyncified: boolean;
}

/** Parse the `dylink.0` custom section of a compiled side module. */
export function readDylink(module: WebAssembly.Module): DylinkInfo {
  const secs = WebAssembly.Module.customSections(module, "dylink.0");
  if (!secs.length) throw new HostError(STATUS.INVALID_ARGUMENT, "not a wasm side module (no dylink.0 section; build it with wasm-ld --experimental-pic -shared)");
  const b = new Uint8Array(secs[0]!);
  let p = 0;
  const uleb = () => {
    let r = 0;
    let shift = 0;
    for (;;) {
      const x = b[p++]!;
      r |= (x & 0x7f) << shift;
      if (!(x & 0x80)) return r >>> 0;
      shift += 7;
    }
  };
  const str = () => {
    const n = uleb();
    const s = new TextDecoder().decode(b.subarray(p, p + n));
    p += n;
    return s;
  };
  const info: DylinkInfo = { memorySize: 0, memoryAlign: 0, tableSize: 0, tableAlign: 0, needed: [] };
  while (p < b.length) {
    const type = b[p++]!;
    const len = uleb();
    const end = p + len;
    if (type === 1) {
      info.memorySize = uleb();
      info.memoryAlign = uleb();
      info.tableSize = uleb();
      info.tableAlign = uleb();
    } else if (type === 2) {
      const n = uleb();
      for (let i = 0; i < n; i++) info.needed.push(str());
    }
    p = end;
  }
  return info;
}

/** The `pymode.abi` custom section the extension builder writes (JSON). */
export function readAbi(module: WebAssembly.Module): SideModuleAbi | undefined {
  const secs = WebAssembly.Module.customSections(module, PYMODE_ABI_SECTION);
  if (!secs.length) return undefined;
  return JSON.parse(new TextDecoder().decode(secs[0]!)) as SideModuleAbi;
}

export class SideModuleLinker {
  private main: Record<string, any> | undefined;
  private table!: WebAssembly.Table;
  private memory!: WebAssembly.Memory;
  private tableIndex: Map<unknown, number> | undefined;
  private readonly loaded: Loaded[] = [];
  private readonly byPath = new Map<string, number>();
  /** Symbols exported by side modules loaded so far (RTLD_GLOBAL semantics). */
  private readonly globalSyms = new Map<string, WebAssembly.ExportValue>();
  /** How many side-module -> python.wasm calls are on the stack right now. */
  private depth = 0;
  private readonly soabi: string;
  /** Link timings, for benchmarks: path -> ms. */
  readonly timings = new Map<string, number>();

  constructor(private readonly opts: SideModuleLinkerOptions) {
    this.soabi = opts.soabi ?? DEFAULT_SOABI;
  }

  /** Called by PythonInstance once python.wasm is instantiated. */
  attach(exports: Record<string, unknown>): void {
    this.main = exports as Record<string, any>;
    const need = ["memory", "__indirect_function_table", "__stack_pointer", "aligned_alloc"];
    const missing = need.filter((n) => !(n in exports));
    if (missing.length) {
      // An older python.wasm without the side-module exports: dl_open answers with this reason.
      this.main = undefined;
      this.attachError = `python.wasm does not export ${missing.join(", ")} (built without side-module support)`;
      return;
    }
    this.table = exports.__indirect_function_table as WebAssembly.Table;
    this.memory = exports.memory as WebAssembly.Memory;
    // Under JSPI (the plain python.wasm) V8 suspends through side-module frames, and a JS frame on the
    // stack would make it refuse to suspend: plain side modules then import python.wasm's functions as is.
    this.mainAsyncified = typeof exports.asyncify_get_state === "function";
  }
  /**
   * python.wasm is the asyncified build (the Asyncify driver): frames of plain side modules are then
   * counted (suspendBlocker), and only Asyncify variants link without that guard. Under JSPI (the plain
   * build) only plain side modules link, with no guard.
   */
  private mainAsyncified = true;
  private attachError = "the linker is not attached to a python.wasm instance";

  /**
   * Why an async host import must not suspend now, or undefined (Asyncify driver only). A bundle for the
   * Asyncify driver links the Asyncify variants (relocatable) the builder writes, which never block. A
   * plain side module (no Asyncify variant: built with --no-asyncify, or by hand) would be resumed from
   * its start if Asyncify unwound through it; while one of those has called into python.wasm (e.g. a C
   * extension calling back into Python code that does a KV read), suspension is refused with this
   * message instead. Under JSPI nothing is counted: V8 suspends plain side-module frames as they are.
   */
  suspendBlocker(): string | undefined {
    return this.depth > 0
      ? "cannot wait for the host while a C extension (wasm side module) is on the stack: side modules are not " +
          "asyncified; call this outside of C-extension callbacks"
      : undefined;
  }

  /** dl_open: link the side module behind `path`; returns a handle > 0 (synchronously when the module is at hand). */
  open(path: string): number | Promise<number> {
    const known = this.byPath.get(path);
    if (known) return known;
    if (!this.main) throw new HostError(STATUS.NOT_SUPPORTED, `dlopen(${path}): ${this.attachError}`);
    const src = this.opts.source(path);
    if (!src) throw new HostError(STATUS.INVALID_ARGUMENT, `dlopen(${path}): ${notBundled(path)}`);
    if (src instanceof Promise) return src.then((m) => this.link(path, m));
    return this.link(path, src);
  }

  /** dl_sym: table index of export `name` of side module `handle`. */
  sym(handle: number, name: string): number {
    const l = this.loaded[handle - 1];
    if (!l) throw new HostError(STATUS.INVALID_ARGUMENT, `dlsym: no side module with handle ${handle}`);
    const have = l.slots.get(name);
    if (have !== undefined) return have;
    const fn = l.instance.exports[name];
    if (typeof fn !== "function") {
      throw new HostError(STATUS.INVALID_ARGUMENT, `dlsym: ${l.path} does not export a function ${name}`);
    }
    const idx = this.addFunction(fn);
    l.slots.set(name, idx);
    return idx;
  }

  private fail(path: string, why: string): never {
    throw new HostError(STATUS.INVALID_ARGUMENT, `cannot load ${path}: ${why}`);
  }

  private link(path: string, module: WebAssembly.Module): number {
    const t0 = Date.now();
    const abi = readAbi(module);
    if (!abi) this.fail(path, `not built by the PyMode extension builder (no ${PYMODE_ABI_SECTION} section)`);
    if (abi.soabi !== this.soabi || abi.abi_version !== 1) {
      this.fail(path, `ABI mismatch: built for ${abi.soabi} (pymode ABI ${abi.abi_version}), this runtime is ${this.soabi} (pymode ABI 1)`);
    }
    const dl = readDylink(module);
    if (dl.needed.length) this.fail(path, `needs shared libraries ${dl.needed.join(", ")}, which PyMode does not load`);
    const main = this.main!;

    // Data: one aligned block from python.wasm's heap (never freed: CPython never unloads extensions).
    const align = Math.max(2 ** dl.memoryAlign, 16);
    let memoryBase = 0;
    if (dl.memorySize > 0) {
      memoryBase = (main.aligned_alloc as (a: number, n: number) => number)(align, Math.ceil(dl.memorySize / align) * align) >>> 0;
      if (!memoryBase) this.fail(path, `out of memory (${dl.memorySize} bytes of data)`);
      new Uint8Array(this.memory.buffer, memoryBase, dl.memorySize).fill(0);
    }
    // Table: its slots at the end of the shared table.
    let tableBase = this.table.length;
    const tAlign = 2 ** dl.tableAlign;
    if (tableBase % tAlign) tableBase += tAlign - (tableBase % tAlign);
    if (dl.tableSize || tableBase !== this.table.length) this.table.grow(tableBase - this.table.length + dl.tableSize);

    const env: Record<string, WebAssembly.ImportValue> = {
      memory: this.memory,
      __indirect_function_table: this.table,
      __memory_base: new WebAssembly.Global({ value: "i32", mutable: false }, memoryBase),
      __table_base: new WebAssembly.Global({ value: "i32", mutable: false }, tableBase),
      __stack_pointer: main.__stack_pointer,
    };
    // Asyncified side modules (asyncify-relocatable) share python.wasm's Asyncify state: a host call
    // may then suspend with their frames on the stack, and they need no guard.
    const moduleImports = WebAssembly.Module.imports(module);
    const asyncified = moduleImports.some((i) => i.module === "env" && i.name === "__asyncify_state");
    if (asyncified) {
      if (!this.mainAsyncified) {
        this.fail(path, "it is the Asyncify variant, which links only against the asyncified python.wasm, and this instance runs the " +
          "plain one (JSPI): bundle the plain variant (worker/scripts/bundle.mjs does when it chooses JSPI)");
      }
      for (const g of ["__asyncify_state", "__asyncify_data"]) {
        if (!(main[g] instanceof WebAssembly.Global)) {
          this.fail(path, `it is asyncified, but python.wasm does not export ${g} (a runtime built before asyncified side modules)`);
        }
        env[g] = main[g];
      }
    }
    const gotMem: Record<string, WebAssembly.Global> = {};
    const gotFunc: Record<string, WebAssembly.Global> = {};
    const selfMem: [string, WebAssembly.Global][] = [];
    const selfFunc: [string, WebAssembly.Global][] = [];
    const missing: string[] = [];
    const exportNames = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
    for (const imp of moduleImports) {
      if (imp.module === "env") {
        if (imp.name in env) continue;
        const v = this.globalSyms.get(imp.name) ?? main[imp.name];
        if (imp.kind === "function") {
          if (typeof v !== "function") {
            missing.push(imp.name);
            continue;
          }
          env[imp.name] = asyncified || !this.mainAsyncified ? (v as Function) : this.guard(v as (...a: unknown[]) => unknown);
        } else if (imp.kind === "global") {
          if (!(v instanceof WebAssembly.Global)) {
            missing.push(imp.name);
            continue;
          }
          env[imp.name] = v;
        } else {
          missing.push(`${imp.name} (${imp.kind})`);
        }
      } else if (imp.module === "GOT.mem") {
        const g = new WebAssembly.Global({ value: "i32", mutable: true }, 0);
        gotMem[imp.name] = g;
        const v = this.globalSyms.get(imp.name) ?? main[imp.name];
        if (v instanceof WebAssembly.Global) g.value = v.value;
        else if (exportNames.has(imp.name)) selfMem.push([imp.name, g]);
        else missing.push(`${imp.name} (data)`);
      } else if (imp.module === "GOT.func") {
        const g = new WebAssembly.Global({ value: "i32", mutable: true }, 0);
        gotFunc[imp.name] = g;
        const v = this.globalSyms.get(imp.name) ?? main[imp.name];
        if (typeof v === "function") g.value = this.addFunction(v);
        else if (exportNames.has(imp.name)) selfFunc.push([imp.name, g]);
        else missing.push(`${imp.name} (function pointer)`);
      } else {
        missing.push(`${imp.module}.${imp.name}`);
      }
    }
    if (missing.length) {
      this.opts.log?.(`dl_open ${path}: undefined symbols ${missing.join(", ")}`);
      this.fail(path, `undefined symbol${missing.length > 1 ? "s" : ""} ${missing.join(", ")} (not exported by python.wasm; see builder-image/runtime/pymode/side-module-exports.txt)`);
    }

    const instance = new WebAssembly.Instance(module, { env, "GOT.mem": gotMem, "GOT.func": gotFunc });
    const ex = instance.exports;
    for (const [name, g] of selfMem) g.value = memoryBase + (ex[name] as WebAssembly.Global).value;
    for (const [name, g] of selfFunc) g.value = this.addFunction(ex[name] as Function);
    const call = (name: string) => {
      const f = ex[name];
      if (typeof f === "function") this.runSide(f as () => void);
    };
    // (relocations and constructors run from inside the dl_open import: they must not suspend either way)
    call("__wasm_apply_data_relocs");
    call("__wasm_call_ctors");

    const handle = this.loaded.length + 1;
    this.loaded.push({ path, instance, memoryBase, tableBase, slots: new Map(), asyncified });
    this.byPath.set(path, handle);
    for (const [name, v] of Object.entries(ex)) {
      if (name.startsWith("__") || name.startsWith("asyncify_") || this.globalSyms.has(name)) continue;
      // Exported data symbols are offsets from __memory_base; keep absolute addresses for other modules.
      this.globalSyms.set(name, v instanceof WebAssembly.Global ? new WebAssembly.Global({ value: "i32", mutable: false }, memoryBase + v.value) : v);
    }
    this.timings.set(path, Date.now() - t0);
    return handle;
  }

  /** Table index of `fn`: its existing slot when python.wasm already has one (keeps C pointer equality), else a new slot. */
  private addFunction(fn: unknown): number {
    if (!this.tableIndex) {
      this.tableIndex = new Map();
      for (let i = 0; i < this.table.length; i++) {
        const f = this.table.get(i);
        if (f && !this.tableIndex.has(f)) this.tableIndex.set(f, i);
      }
    }
    const have = this.tableIndex.get(fn);
    if (have !== undefined) return have;
    const idx = this.table.grow(1);
    this.table.set(idx, fn as any);
    this.tableIndex.set(fn, idx);
    return idx;
  }

  /** A python.wasm function imported by a side module: counts side-module frames on the stack. */
  private guard(f: (...a: unknown[]) => unknown): (...a: unknown[]) => unknown {
    return (...a: unknown[]) => {
      this.depth++;
      try {
        return f(...a);
      } finally {
        this.depth--;
      }
    };
  }

  private runSide(f: () => void): void {
    this.depth++;
    try {
      f();
    } finally {
      this.depth--;
    }
  }

  /** Loaded side modules (diagnostics). */
  list(): { path: string; memoryBase: number; tableBase: number; asyncified: boolean }[] {
    return this.loaded.map(({ path, memoryBase, tableBase, asyncified }) => ({ path, memoryBase, tableBase, asyncified }));
  }
}

/** Where hosts map the runtime's own side modules (builder-image/runtime/mkdynload.py; worker/scripts/bundle.mjs DYNLOAD_GUEST_DIR). */
export const DYNLOAD_GUEST_DIR = "/lib/python3.13/lib-dynload";

/** Why there is no module for `path`: a runtime side module the bundler left out says how to add it. */
function notBundled(path: string): string {
  if (!path.startsWith(DYNLOAD_GUEST_DIR + "/")) return "no side module is bundled for this path";
  const mod = path.slice(DYNLOAD_GUEST_DIR.length + 1).replace(/\.cpython-[^/]*\.so$|\.so$/, "");
  // pylib/pymode/_handler.py LEFT_OUT_MARK looks for "left out of this bundle" (codec lookups)
  return `the runtime module ${mod} is left out of this bundle (the bundler found nothing in the project, its packages ` +
    `or pymode that uses it); add it with stdlib-include = ["${mod}"] (or stdlib = "full") under [tool.pymode] in pyproject.toml`;
}

/** A source over pre-compiled modules keyed by guest path (workerd: CompiledWasm module imports). */
export function modulesSource(modules: Record<string, WebAssembly.Module> | Map<string, WebAssembly.Module>): SideModuleSource {
  const m = modules instanceof Map ? modules : new Map(Object.entries(modules));
  return (path) => m.get(path);
}

/**
 * The linker for one instance of a bundle with its pre-compiled side modules. One per instance: it links into
 * that instance's memory and table. A bundle without any still gets one (it costs nothing until dlopen): the
 * runtime's side modules it left out have stubs in the VFS, and dlopen of one must explain (notBundled).
 */
export function bundleLinker(modules: Record<string, WebAssembly.Module> | Map<string, WebAssembly.Module>, soabi?: string): SideModuleLinker {
  return new SideModuleLinker({ source: modulesSource(modules), soabi });
}

/**
 * A source that compiles the file's bytes (node and tests only: workerd forbids compiling wasm at
 * run time). `read` returns the bytes of a guest path, e.g. from the instance's Vfs.
 */
export function compilingSource(read: (path: string) => Uint8Array | undefined): SideModuleSource {
  const cache = new Map<string, WebAssembly.Module>();
  return (path) => {
    let m = cache.get(path);
    if (!m) {
      const bytes = read(path);
      if (!bytes) return undefined;
      // Synchronous compile (node only; workerd refuses it).
      const compiled: WebAssembly.Module = new (WebAssembly.Module as unknown as new (b: Uint8Array) => WebAssembly.Module)(bytes);
      cache.set(path, compiled);
      return compiled;
    }
    return m;
  };
}

/**
 * `pymode.dl_open`/`dl_sym`/`result_take` for a host that runs python.wasm's `_start` without suspending
 * (builder-image/runtime/wasi-run.mjs, the CLI runner the runtime tests and CPython's test slice use):
 * the linker links synchronously, and a failure leaves an error frame (docs/abi.md §2) for result_take,
 * whose `message` dynload_pymode.c turns into dlerror() and so into the ImportError text.
 */
export function syncDynloadImports(linker: SideModuleLinker, memory: () => WebAssembly.Memory) {
  let pending: Uint8Array | undefined;
  const text = (ptr: number, len: number) => new TextDecoder().decode(new Uint8Array(memory().buffer, ptr, len).slice());
  const guarded = (f: () => number | Promise<number>): number => {
    try {
      const r = f();
      if (typeof r !== "number") throw new HostError(STATUS.NOT_SUPPORTED, "this host links side modules synchronously only");
      return r;
    } catch (e) {
      const he = describeError(e);
      pending = encodeFrames([JSON.stringify({ code: he.code, message: he.message })]);
      return he.status;
    }
  };
  return {
    dl_open: (p: number, n: number) => guarded(() => linker.open(text(p, n))),
    dl_sym: (h: number, p: number, n: number) => guarded(() => linker.sym(h, text(p, n))),
    result_take: (dst: number, dstLen: number) => {
      if (!pending) return -1;
      if (pending.byteLength > dstLen) return -2;
      new Uint8Array(memory().buffer, dst, pending.byteLength).set(pending);
      const n = pending.byteLength;
      pending = undefined;
      return n;
    },
  };
}
