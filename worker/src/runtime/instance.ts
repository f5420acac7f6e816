// PythonInstance: one python.wasm instance, its WASI state, the `pymode` host imports
// and the Asyncify driver (docs/abi.md §2, §5). One request runs at a time per instance.

import { decodeFrames, decodeHttpResponse, encodeFrames, encodeHttpRequest, utf8, FrameError } from "./frames";
import { Bindings, DynamicLinker, HostError, STATUS, describeError } from "./bindings";
import { ERRNO, ProcExit, Wasi } from "./wasi";
import { Vfs } from "./vfs";
import { Budget, BudgetExceeded, StepBudgetExceeded } from "./budget";
import { DEFAULT_C_RECURSION_LIMIT, RecursionExports, capCRecursion } from "./recursion";
import { LOOP_KIND, OpOutcome, RESPOND_PREFIX, ServingSession } from "./serving";
import { STDLIB_KIND, StdlibAssets } from "./stdlib";

/** The binding-call kind that answers the instance's own environment (an instance from a snapshot asks for it). */
export const ENVIRON_KIND = "environ";

export const ABI_VERSION = 2;

export interface LogRecord {
  /** Python logging level: 10 debug, 20 info, 30 warning, 40 error, 50 critical. */
  level: number;
  source: "python" | "stdout" | "stderr" | "host";
  message: string;
}
export type Logger = (r: LogRecord) => void;

export const consoleLogger: Logger = (r) => {
  const line = `[pymode ${r.source}] ${r.message}`;
  if (r.level >= 40) console.error(line);
  else if (r.level >= 30) console.warn(line);
  else console.log(line);
};

/** The wasm instance can no longer be used: it trapped, exited, or the interpreter failed. */
export class TrapError extends Error {
  constructor(
    message: string,
    readonly cause?: unknown,
  ) {
    super(message);
    this.name = "TrapError";
  }
}

/** Python answered with more bytes than the caller accepts; nothing was copied out, the instance is fine. */
export class OutputTooLarge extends Error {
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super(`python returned ${size} bytes of response frames, more than ${limit}`);
    this.name = "OutputTooLarge";
  }
}

export interface HandleOptions {
  /** Time budget of this request in ms (queue wait not included); past it the instance is abandoned. */
  budgetMs?: number;
  /** Largest response frames copied out of linear memory; more → OutputTooLarge. */
  maxOutputBytes?: number;
  /**
   * Step budget of this request (backward jumps and calls the interpreter counts); past it Python
   * raises StepBudgetExceeded and the instance is abandoned. Ignored by a runtime without the
   * pymode_set_step_budget export.
   */
  maxSteps?: number;
}

/** The request never started: the instance had already been poisoned by an earlier call. Safe to retry elsewhere. */
export class InstanceUnusable extends TrapError {
  constructor(reason: string) {
    super(`instance is unusable: ${reason}`);
    this.name = "InstanceUnusable";
  }
}

export interface InstanceOptions {
  module: WebAssembly.Module;
  vfs: Vfs;
  bindings: Bindings;
  env?: Record<string, string>;
  args?: string[];
  preopens?: string[];
  logger?: Logger;
  linker?: DynamicLinker;
  /** Asyncify data buffer size in bytes (default 1 MiB). */
  asyncifyStackSize?: number;
  sleep?: "block" | "return";
  /** Call pymode_init (default true). */
  init?: boolean;
  /** CPython's C-recursion budget, lowered to fit the engine's native stack (src/runtime/recursion.ts). */
  cRecursionLimit?: number;
  /**
   * How async imports suspend the wasm stack (chosen at bundle time, scripts/bundle.mjs chooseDriver).
   * "jspi": the plain python.wasm, async imports wrapped in WebAssembly.Suspending and the driven
   * exports in WebAssembly.promising (workerd, Node >= 24). "asyncify" (the default here, for hosts
   * without JSPI such as Node 20): python.wasm run through wasm-opt --asyncify.
   */
  driver?: "asyncify" | "jspi";
  /** The stdlib modules the bundle keeps in static assets (kind `stdlib`), shared by the isolate's instances. */
  stdlib?: StdlibAssets;
}

interface PyExports {
  memory: WebAssembly.Memory;
  pymode_init: () => number;
  pymode_alloc: (n: number) => number;
  pymode_free: (p: number) => void;
  pymode_handle: (p: number, n: number) => number;
  /** Optional (docs/abi.md §5): sets the step budget, returns 1 if the previous one ran out. */
  pymode_set_step_budget?: (steps: number) => number;
  asyncify_start_unwind: (p: number) => void;
  asyncify_stop_unwind: () => void;
  asyncify_start_rewind: (p: number) => void;
  asyncify_stop_rewind: () => void;
  asyncify_get_state: () => number;
}

const BASE_EXPORTS = ["memory", "pymode_init", "pymode_alloc", "pymode_free", "pymode_handle"];
const ASYNCIFY_EXPORTS = ["asyncify_start_unwind", "asyncify_stop_unwind", "asyncify_start_rewind", "asyncify_stop_rewind", "asyncify_get_state"];

const td = new TextDecoder();

/** The host-internal request that runs Python's serving loop until no request is left (pylib/pymode/_serve.py). */
const SERVE_REQUEST = encodeHttpRequest({ method: "POST", url: "https://pymode.internal/__pymode/serve", headers: [] }, new Uint8Array(0));

export class PythonInstance {
  readonly wasi: Wasi;
  /** Set once the instance is unusable; holds the reason. */
  broken: string | undefined;
  requests = 0;
  private ex!: PyExports;
  private readonly bindings: Bindings;
  private readonly log: Logger;
  private readonly linker: DynamicLinker | undefined;
  private pendingResult: Uint8Array | undefined;
  private pendingPromise: Promise<number> | undefined;
  private resumeValue = 0;
  private asyncBuf = 0;
  private asyncBufSize: number;
  private queue: Promise<unknown> = Promise.resolve();
  private inCall = false;
  private readonly driver: "asyncify" | "jspi";
  /** The running request's time budget, if it has one. */
  private budget: Budget | undefined;
  private promising: Record<"pymode_init" | "pymode_handle", (...a: number[]) => Promise<number>> | undefined;

  private constructor(private readonly opts: InstanceOptions) {
    this.bindings = opts.bindings;
    this.log = opts.logger ?? consoleLogger;
    this.linker = opts.linker;
    this.asyncBufSize = opts.asyncifyStackSize ?? 1 << 20;
    this.driver = opts.driver ?? "asyncify";
    if (this.driver === "jspi" && typeof (WebAssembly as any).Suspending !== "function") {
      throw new TrapError("driver jspi: this runtime has no WebAssembly.Suspending / WebAssembly.promising");
    }
    this.wasi = new Wasi({
      vfs: opts.vfs,
      args: opts.args ?? ["python"],
      env: opts.env ?? {},
      preopens: opts.preopens,
      sleep: opts.sleep,
      onSleep: (ms, blocks) => this.budget?.sleep(ms, blocks),
      log: (stream, message) => this.log({ level: stream === "stderr" ? 30 : 20, source: stream, message }),
    });
  }

  /** Instantiate the module and run pymode_init (through the Asyncify driver). */
  static async create(opts: InstanceOptions): Promise<PythonInstance> {
    const self = new PythonInstance(opts);
    const instance = await WebAssembly.instantiate(opts.module, self.imports(opts.module));
    const exp = instance.exports as Record<string, unknown>;
    const required = self.driver === "asyncify" ? [...BASE_EXPORTS, ...ASYNCIFY_EXPORTS] : BASE_EXPORTS;
    const missing = required.filter((n) => !(n in exp));
    if (missing.length) {
      throw new TrapError(
        `python.wasm lacks required exports: ${missing.join(", ")}` +
          (missing.some((m) => m.startsWith("asyncify_")) ? " (was it run through wasm-opt --asyncify?)" : ""),
      );
    }
    self.ex = exp as unknown as PyExports;
    self.wasi.setMemory(self.ex.memory);
    self.linker?.attach?.(exp);
    if (self.driver === "jspi") {
      const promising = (WebAssembly as any).promising;
      self.promising = { pymode_init: promising(exp.pymode_init), pymode_handle: promising(exp.pymode_handle) };
    }
    try {
      self.asyncBuf = self.driver === "asyncify" ? self.ex.pymode_alloc(self.asyncBufSize) : -1;
      if (!self.asyncBuf) throw new TrapError(`pymode_alloc(${self.asyncBufSize}) for the Asyncify buffer returned NULL`);
      if (opts.init !== false) {
        const rc = await self.drive("pymode_init", []);
        if (rc !== 0) {
          self.broken = `pymode_init returned ${rc}`;
          throw new TrapError(`pymode_init failed with status ${rc} (the interpreter logged the cause)`);
        }
        const why = capCRecursion(exp as unknown as RecursionExports, opts.cRecursionLimit ?? DEFAULT_C_RECURSION_LIMIT);
        if (why) self.log({ level: 30, source: "host", message: `C recursion limit left at CPython's default: ${why}` });
      }
    } catch (e) {
      throw self.poison(e);
    }
    return self;
  }

  private imports(module: WebAssembly.Module): WebAssembly.Imports {
    const wasi = this.wasi.exports();
    const py = this.pymodeImports();
    const out: Record<string, Record<string, WebAssembly.ImportValue>> = {};
    const unsupported: string[] = [];
    for (const imp of WebAssembly.Module.imports(module)) {
      const mod = (out[imp.module] ??= {});
      if (imp.module === "wasi_snapshot_preview1" && imp.kind === "function") {
        mod[imp.name] = wasi[imp.name] ?? (() => ERRNO.NOSYS);
      } else if (imp.module === "pymode" && imp.kind === "function" && py[imp.name]) {
        mod[imp.name] = py[imp.name]!;
      } else {
        unsupported.push(`${imp.module}.${imp.name} (${imp.kind})`);
      }
    }
    if (unsupported.length) {
      throw new TrapError(`python.wasm imports that this host does not provide: ${unsupported.join(", ")}`);
    }
    return out;
  }

  private mem(): Uint8Array {
    return new Uint8Array(this.ex.memory.buffer);
  }

  private errorFrames(e: HostError): Uint8Array {
    return encodeFrames([JSON.stringify({ code: e.code, message: e.message })]);
  }

  /** Run an async host operation under Asyncify: unwind now, resume with its status later. */
  private suspend(start: () => Promise<number>): number {
    const state = this.ex.asyncify_get_state();
    if (state === 2) {
      // Rewinding: this is the import that unwound; hand back the awaited status.
      this.ex.asyncify_stop_rewind();
      return this.resumeValue;
    }
    if (state !== 0) throw new TrapError(`async import called in Asyncify state ${state}`);
    if (!this.inCall) throw new TrapError("async host import called outside a driven export");
    const blocked = this.linker?.suspendBlocker?.();
    if (blocked) {
      // Unwinding through a side module (not asyncified) would corrupt it: refuse with a clear error.
      this.pendingResult = this.errorFrames(new HostError(STATUS.NOT_SUPPORTED, blocked));
      return STATUS.NOT_SUPPORTED;
    }
    // Out of time: throwing here leaves the wasm call (the instance is then replaced).
    this.budget?.check();
    this.pendingPromise = start();
    const v = new DataView(this.ex.memory.buffer);
    v.setUint32(this.asyncBuf, this.asyncBuf + 8, true);
    v.setUint32(this.asyncBuf + 4, this.asyncBuf + this.asyncBufSize, true);
    this.ex.asyncify_start_unwind(this.asyncBuf);
    return 0;
  }

  /**
   * Run an async host operation under JSPI: V8 suspends the whole wasm stack (side-module frames
   * included) until the promise settles. The checks match suspend(): a call outside a driven export
   * is refused, and past the budget the rejection throws through the wasm frames (the instance is
   * then replaced).
   */
  private suspendJspi(start: () => Promise<number>): Promise<number> {
    if (!this.inCall) throw new TrapError("async host import called outside a driven export");
    this.budget?.check();
    const p = start();
    if (!this.budget) return p;
    p.catch(() => undefined); // the budget may give up on it first
    return this.budget.race(p);
  }

  private async runOp(kind: string, binding: string, req: Uint8Array): Promise<number> {
    const { status, frames } = await this.perform(kind, binding, req);
    this.pendingResult = frames;
    return status;
  }

  /** One binding op to its outcome: result frames and their length, or error frames and a negative status. Never rejects. */
  private async perform(kind: string, binding: string, req: Uint8Array): Promise<OpOutcome> {
    try {
      const fields = decodeFrames(req);
      if (fields.length < 2) throw new HostError(STATUS.INVALID_ARGUMENT, `${kind}: request needs an op name and a JSON argument field`);
      const op = utf8(fields[0]!);
      let args: any;
      try {
        args = JSON.parse(utf8(fields[1]!));
      } catch (e) {
        throw new HostError(STATUS.INVALID_ARGUMENT, `${kind}.${op}: arguments are not JSON: ${(e as Error).message}`);
      }
      const blobs = fields.slice(2);
      const r = kind === STDLIB_KIND ? await this.stdlibOp(binding) : await this.bindings.call(kind, binding, op, args ?? {}, blobs);
      const out = encodeFrames([JSON.stringify(r.meta ?? null), ...(r.blobs ?? [])]);
      return { status: out.byteLength, frames: out };
    } catch (e) {
      const he = e instanceof FrameError ? new HostError(STATUS.INVALID_ARGUMENT, `${kind}: ${e.message}`) : describeError(e);
      if (he.status === STATUS.INTERNAL) this.log({ level: 40, source: "host", message: `${kind} op failed: ${he.message}` });
      return { status: he.status, frames: this.errorFrames(he) };
    }
  }

  /**
   * Python answers a request of the serving loop: the response frames stay in linear memory until they
   * are known to fit (a huge answer must not be duplicated into the JS heap).
   */
  private respondOp(binding: string, ptr: number, len: number): number {
    if (this.broken) throw new TrapError(this.broken);
    this.endSlice();
    const id = Number(binding.slice(RESPOND_PREFIX.length));
    const limit = this.maxOutputBytes;
    this.session?.respond(id, limit !== undefined && len > limit ? new OutputTooLarge(len, limit) : this.mem().slice(ptr, ptr + len));
    this.pendingResult = new Uint8Array(0);
    this.beginSlice();
    return 0;
  }

  /**
   * An op of the serving loop (kind "loop", src/runtime/serving.ts), answered at once. A spent step budget
   * throws (the instance is then lost).
   */
  private loopOp(req: Uint8Array): number {
    // Python's run since the last loop op (a slice) ends here; the next one begins when the op returns.
    if (this.broken) throw new TrapError(this.broken);
    this.endSlice();
    try {
      if (!this.session) throw new HostError(STATUS.NOT_SUPPORTED, "loop: the host is not serving this call (see PythonInstance.serve)");
      const out = this.session.op(req);
      this.pendingResult = out;
      return out.byteLength;
    } catch (e) {
      const he = describeError(e);
      this.pendingResult = this.errorFrames(he);
      return he.status;
    } finally {
      this.beginSlice();
    }
  }

  /**
   * The environment this instance was given (kind "environ", answered at once). An instance restored from a Wizer
   * snapshot has the snapshot's os.environ and wasi-libc environ, frozen when it was made; Python asks for the real
   * one on its first request (pylib/pymode/_snapshot.py, docs/abi.md §2).
   */
  private environOp(): number {
    const out = encodeFrames([JSON.stringify(this.opts.env ?? {})]);
    this.pendingResult = out;
    return out.byteLength;
  }

  /** Kind `stdlib`: a stdlib module's compiled code, from the Worker's static assets (src/runtime/stdlib.ts). */
  private async stdlibOp(entry: string): Promise<{ meta: null; blobs: Uint8Array[] }> {
    if (!this.opts.stdlib) throw new HostError(STATUS.NOT_SUPPORTED, `stdlib ${entry}: this host has no static assets for the stdlib`);
    return { meta: null, blobs: [await this.opts.stdlib.entry(entry)] };
  }

  private pymodeImports(): Record<string, (...a: any[]) => number | void> {
    const imports: Record<string, (...a: any[]) => number | void> = {};
    // Async imports: `start` runs synchronously up to its first await (copying arguments out of
    // linear memory, which may move before the promise settles), then the stack is suspended.
    const asyncImport = (start: (...a: number[]) => Promise<number>): any =>
      this.driver === "jspi"
        ? new (WebAssembly as any).Suspending((...a: number[]) => this.suspendJspi(() => start(...a)))
        : (...a: number[]) => this.suspend(() => start(...a));
    // The one binding call (ABI 2): the kind is data, resolved by the host's kind registry; kind "loop"
    // is the serving loop's channel to this host (src/runtime/serving.ts), answered at once except `wait`.
    // Returns the status, or a function starting the op the caller suspends on.
    const call = (kPtr: number, kLen: number, bPtr: number, bLen: number, rPtr: number, rLen: number): number | (() => Promise<number>) => {
      const kind = td.decode(this.mem().slice(kPtr, kPtr + kLen));
      const binding = td.decode(this.mem().slice(bPtr, bPtr + bLen));
      if (kind === LOOP_KIND) {
        return binding.startsWith(RESPOND_PREFIX) ? this.respondOp(binding, rPtr, rLen) : this.loopOp(this.mem().slice(rPtr, rPtr + rLen));
      }
      if (kind === ENVIRON_KIND) return this.environOp();
      const req = this.mem().slice(rPtr, rPtr + rLen);
      return () => this.runOp(kind, binding, req);
    };
    imports.call =
      this.driver === "jspi"
        ? new (WebAssembly as any).Suspending((...a: number[]) => {
            const r = call(...(a as [number, number, number, number, number, number]));
            return typeof r === "number" ? r : this.suspendJspi(r);
          })
        : (...a: number[]) => {
            // Rewinding: this is the call that unwound; suspend() hands back its status.
            if (this.ex.asyncify_get_state() === 2) return this.suspend(() => Promise.resolve(0));
            const r = call(...(a as [number, number, number, number, number, number]));
            return typeof r === "number" ? r : this.suspend(r);
          };
    const dlOpen = (path: string): number | Promise<number> => {
      const failed = (e: unknown) => {
        const he = describeError(e);
        this.pendingResult = this.errorFrames(he);
        return he.status;
      };
      if (!this.linker) {
        return failed(new HostError(STATUS.NOT_SUPPORTED, `dl_open(${path}): this host has no side-module loader`));
      }
      try {
        const r = this.linker.open(path);
        return typeof r === "number" ? r : r.catch(failed);
      } catch (e) {
        return failed(e);
      }
    };
    const dlOpenAsync = asyncImport(async (pPtr: number, pLen: number) => dlOpen(td.decode(this.mem().slice(pPtr, pPtr + pLen))));
    // Under Asyncify dl_open suspends only when the linker must wait (a module fetched lazily); a
    // pre-compiled module is linked synchronously, so no side-module frame can be unwound by it.
    imports.dl_open =
      this.driver === "jspi"
        ? dlOpenAsync
        : (pPtr: number, pLen: number) => {
            if (this.ex.asyncify_get_state() === 2) return this.suspend(() => Promise.resolve(0));
            const r = dlOpen(td.decode(this.mem().slice(pPtr, pPtr + pLen)));
            return typeof r === "number" ? r : this.suspend(() => r);
          };
    imports.dl_sym = (handle: number, nPtr: number, nLen: number) => {
      const name = td.decode(this.mem().slice(nPtr, nPtr + nLen));
      if (!this.linker) {
        this.pendingResult = this.errorFrames(new HostError(STATUS.NOT_SUPPORTED, `dl_sym(${handle}, ${name}): no side-module loader`));
        return STATUS.NOT_SUPPORTED;
      }
      try {
        return this.linker.sym(handle, name);
      } catch (e) {
        const he = describeError(e);
        this.pendingResult = this.errorFrames(he);
        return he.status;
      }
    };
    imports.result_take = (dst: number, dstLen: number) => {
      const r = this.pendingResult;
      if (!r) return -1;
      if (r.byteLength > dstLen) return -2;
      this.mem().set(r, dst);
      this.pendingResult = undefined;
      return r.byteLength;
    };
    imports.log = (level: number, ptr: number, len: number) => {
      this.log({ level, source: "python", message: td.decode(this.mem().subarray(ptr, ptr + len)) });
    };
    return imports;
  }

  /** Call an export under the Asyncify driver: on unwind, await the pending host promise and rewind. */
  private async drive(name: "pymode_init" | "pymode_handle", args: number[]): Promise<number> {
    if (this.inCall) throw new TrapError("re-entrant call into the wasm instance");
    this.inCall = true;
    const fn = this.ex[name] as (...a: number[]) => number;
    const call = () => fn(...args);
    try {
      if (this.promising) return await this.promising[name](...args);
      let r = call();
      while (this.ex.asyncify_get_state() === 1) {
        this.ex.asyncify_stop_unwind();
        const p = this.pendingPromise;
        this.pendingPromise = undefined;
        if (!p) throw new TrapError("wasm unwound without a pending host operation");
        if (this.budget) p.catch(() => undefined); // the budget may give up on it first
        this.resumeValue = await (this.budget ? this.budget.race(p) : p);
        this.ex.asyncify_start_rewind(this.asyncBuf);
        r = call();
      }
      if (this.ex.asyncify_get_state() !== 0) {
        throw new TrapError(`export returned in Asyncify state ${this.ex.asyncify_get_state()}`);
      }
      return r;
    } finally {
      this.inCall = false;
      this.wasi.flush();
    }
  }

  private poison(e: unknown): TrapError {
    let reason: string;
    if (e instanceof ProcExit) reason = `python exited (proc_exit(${e.code}))`;
    else if (e instanceof TrapError || e instanceof BudgetExceeded || e instanceof StepBudgetExceeded) reason = e.message;
    else if (e instanceof WebAssembly.RuntimeError) reason = `wasm trap: ${e.message}`;
    else if (e instanceof RangeError) reason = `wasm stack exhausted: ${e.message}`;
    else reason = `host failure during wasm call: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
    this.broken ??= reason;
    return e instanceof TrapError ? e : new TrapError(reason, e);
  }

  /**
   * Handle one HTTP request (frames of docs/abi.md §5) and return the response frames.
   * Calls are queued: one request at a time (Asyncify keeps a single suspended stack).
   * Throws TrapError when the instance is (or becomes) unusable.
   */
  handle(reqFrames: Uint8Array, opts: HandleOptions = {}): Promise<Uint8Array> {
    const run = (): Promise<Uint8Array> => {
      this.requests++;
      return this.callHandle(reqFrames, opts);
    };
    return this.exclusively(run);
  }

  /**
   * Serve a request on Python's serving loop (src/runtime/serving.ts, pylib/pymode/_serve.py): requests
   * submitted while others wait on host calls run in the same interpreter, interleaved at their awaits
   * when the handler is a coroutine (`concurrent`), one after another otherwise. Call it from the
   * request's own context (its host calls are started there). `budgetMs` bounds each request (past it:
   * RequestTimedOut, and its task is cancelled) and each turn; `maxSteps` bounds Python's run between two
   * host calls (past it the instance is lost). Rejects with TrapError when the instance is.
   */
  serve(reqFrames: Uint8Array, opts: HandleOptions = {}): Promise<Uint8Array> {
    if (this.broken) return Promise.reject(new InstanceUnusable(this.broken));
    this.requests++;
    this.sliceSteps = opts.maxSteps && this.ex.pymode_set_step_budget ? opts.maxSteps : 0;
    this.sliceMs = opts.budgetMs ?? 0;
    this.maxOutputBytes = opts.maxOutputBytes;
    this.session ??= new ServingSession({ perform: (kind, binding, req) => this.perform(kind, binding, req), turn: () => this.serveTurn() });
    return this.session.submit(reqFrames, opts.budgetMs);
  }

  /** The serving session, once `serve` was called (its load and concurrency steer the pool). */
  get servingSession(): ServingSession | undefined {
    return this.session;
  }

  private session: ServingSession | undefined;
  /** Budgets of one slice, Python's run between two loop ops (0: none): steps, and time as for a request. */
  private sliceSteps = 0;
  private sliceMs = 0;
  private maxOutputBytes: number | undefined;

  /** One turn of the serving loop -> seconds until Python's next timer (null: none). Rejects with TrapError. */
  private serveTurn(): Promise<number | null> {
    const run = async (): Promise<number | null> => {
      if (this.broken) throw new InstanceUnusable(this.broken);
      this.beginSlice();
      try {
        const { head, body } = decodeHttpResponse(await this.callHandle(SERVE_REQUEST, {}));
        if (head.status !== 200) throw new TrapError(`python answered the serve call with ${head.status}: ${td.decode(body).slice(0, 300)}`);
        const timer = JSON.parse(td.decode(body)).timer;
        return typeof timer === "number" ? timer : null;
      } catch (e) {
        // A slice that ran out of steps ends in an exception out of the loop or a trap: report the budget.
        const lost = this.poison(e);
        const spent = this.sliceSteps && this.stepBudgetRanOut() ? new StepBudgetExceeded(this.sliceSteps) : undefined;
        throw spent ? new TrapError(spent.message, spent) : lost;
      } finally {
        this.budget = undefined;
        if (this.sliceSteps) this.stepBudgetRanOut();
      }
    };
    return this.exclusively(run);
  }

  /**
   * A slice begins: the step and time budgets start over. A synchronous handler's request is one slice
   * (next … respond), so for it these are the request's budgets; a coroutine handler's slices end at
   * every await of the host, and its requests' own deadlines are the session's timers.
   */
  private beginSlice(): void {
    if (this.sliceSteps) this.ex.pymode_set_step_budget!(this.sliceSteps);
    this.budget = this.sliceMs ? new Budget(this.sliceMs) : undefined;
  }

  /** A slice ends: throws StepBudgetExceeded when it ran out of steps (even if Python caught the exception). */
  private endSlice(): void {
    this.budget = undefined;
    if (this.sliceSteps && this.ex.pymode_set_step_budget!(-1) === 1) throw new StepBudgetExceeded(this.sliceSteps);
  }

  /** Run pymode_handle on one frame list (the caller serialises calls). */
  private async callHandle(reqFrames: Uint8Array, opts: HandleOptions): Promise<Uint8Array> {
    if (this.broken) throw new InstanceUnusable(this.broken);
    let reqPtr = 0;
    this.budget = opts.budgetMs ? new Budget(opts.budgetMs) : undefined;
    try {
      reqPtr = this.ex.pymode_alloc(Math.max(1, reqFrames.byteLength));
      if (!reqPtr) throw new TrapError(`pymode_alloc(${reqFrames.byteLength}) returned NULL (out of memory)`);
      this.mem().set(reqFrames, reqPtr);
      const stepBudget = opts.maxSteps && this.ex.pymode_set_step_budget ? opts.maxSteps : undefined;
      if (stepBudget) this.ex.pymode_set_step_budget!(stepBudget);
      let ptr: number;
      try {
        ptr = (await this.drive("pymode_handle", [reqPtr, reqFrames.byteLength])) >>> 0;
      } catch (e) {
        // A handler that kept catching StepBudgetExceeded ends in a trap: report the budget, not the trap.
        if (stepBudget && this.stepBudgetRanOut()) throw new StepBudgetExceeded(stepBudget);
        throw e;
      }
      // Ran out even if the handler swallowed the exception and answered: the answer is not used.
      if (stepBudget && this.stepBudgetRanOut()) throw new StepBudgetExceeded(stepBudget);
      if (ptr === 0) throw new TrapError("pymode_handle returned NULL (interpreter failure; see the log)");
      const len = new DataView(this.ex.memory.buffer).getUint32(ptr, true);
      // Checked before copying: a huge answer must not be duplicated into the JS heap.
      const out = opts.maxOutputBytes !== undefined && len > opts.maxOutputBytes ? undefined : this.mem().slice(ptr + 4, ptr + 4 + len);
      this.ex.pymode_free(ptr);
      this.ex.pymode_free(reqPtr);
      if (!out) throw new OutputTooLarge(len, opts.maxOutputBytes!);
      return out;
    } catch (e) {
      if (e instanceof InstanceUnusable || e instanceof OutputTooLarge) throw e;
      throw this.poison(e);
    } finally {
      this.budget = undefined;
    }
  }

  /** Run `call` after every earlier call into the instance has ended: one driven call at a time. */
  private exclusively<T>(call: () => Promise<T>): Promise<T> {
    const p = this.queue.then(call, call);
    this.queue = p.catch(() => undefined);
    return p;
  }

  /** Clears the step budget; true if it ran out. Safe after a trap: it only touches two statics. */
  private stepBudgetRanOut(): boolean {
    try {
      return this.ex.pymode_set_step_budget!(-1) === 1;
    } catch {
      return false;
    }
  }

  /** Bytes of linear memory in use (for diagnostics). */
  memoryBytes(): number {
    return this.ex.memory.buffer.byteLength;
  }

  async dispose(): Promise<void> {
    this.broken ??= "disposed";
    await this.bindings.close?.();
  }
}
