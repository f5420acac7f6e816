// A minimal node host for python.wasm's request path (docs/abi.md section 5), used by the runtime
// tests and the benchmark. The production host (workerd PythonDO) lives in worker/; this one exists
// to check python.wasm itself: pymode_init / pymode_handle, the frame encoding, result_take, log,
// and a real Asyncify suspension (the KV import answers after a timer, so the wasm stack unwinds and
// rewinds).
//
//   node pymode-host.mjs --wasm python.wasm [--dir HOST::GUEST]... [--env K=V]... [--kv K=V]...
//        [--no-init] REQUEST_JSON...
// REQUEST_JSON: {"method": "GET", "url": "/x", "headers": [["a","b"]], "body": "text", "steps": N}
//   ("steps": the request's step budget, docs/abi.md section 5; optional)
// Prints one JSON line per request: {"status", "headers", "body", "ms", "step_budget_spent"} (status
// null when the budget ran out and pymode_handle returned 0), then {"init_ms", "compile_ms"}.
// Host log lines go to stderr as "[pymode log LEVEL] message".
import { WASI } from 'node:wasi';
import { readFile } from 'node:fs/promises';
// The worker's frame codec (plain JavaScript): the Dockerfile copies worker/src beside builder-image as here.
import { decodeFrames, encodeFrames } from '../../worker/src/runtime/frame-list.mjs';

const enc = new TextEncoder();
const dec = new TextDecoder();

export async function createHost({ wasm, preopens = {}, env = {}, kv = new Map(), kvDelayMs = 1, log } = {}) {
  const t0 = performance.now();
  const module = await WebAssembly.compile(typeof wasm === 'string' ? await readFile(wasm) : wasm);
  const compileMs = performance.now() - t0;
  const wasi = new WASI({ version: 'preview1', args: ['python3.13'], env, preopens, returnOnExit: true });
  let exports;
  let pending = null; // bytes of the pending result
  let suspended = null; // promise of the status of an import that unwound
  let resumeValue = 0;
  let dataPtr = 0;
  const DATA_SIZE = 1 << 20;
  const mem = () => new Uint8Array(exports.memory.buffer);
  const bytesAt = (p, n) => mem().slice(p, p + n);
  const logLine = log ?? ((level, msg) => process.stderr.write(`[pymode log ${level}] ${msg}\n`));

  function setResult(meta, ...blobs) {
    pending = encodeFrames([JSON.stringify(meta), ...blobs]);
    return pending.length;
  }
  function setError(status, code, message) {
    pending = encodeFrames([JSON.stringify({ code, message })]);
    return status;
  }

  // KV operations on an in-memory Map; every binding name except MY_KV is "unknown".
  async function kvOp(binding, req) {
    await new Promise((r) => setTimeout(r, kvDelayMs));
    if (binding !== 'MY_KV') return setError(-2, 'UNKNOWN_BINDING', `no KV binding named ${binding}`);
    const [op, argsJson, value] = decodeFrames(req);
    const args = JSON.parse(dec.decode(argsJson));
    switch (dec.decode(op)) {
      case 'get':
        return kv.has(args.key) ? setResult({ found: true }, kv.get(args.key)) : setResult({ found: false });
      case 'put':
        kv.set(args.key, value ?? new Uint8Array());
        return setResult(null);
      case 'delete':
        kv.delete(args.key);
        return setResult(null);
      case 'list':
        return setResult({ keys: [...kv.keys()].filter((k) => k.startsWith(args.prefix ?? '')).sort().map((name) => ({ name })), list_complete: true });
      default:
        return setError(-3, 'INVALID_ARGUMENT', `unknown KV operation ${dec.decode(op)}`);
    }
  }

  // An Asyncify-aware import: on the first call it starts the async work and unwinds; on the
  // rewind call it returns the awaited status.
  function asyncImport(impl) {
    return (...args) => {
      if (exports.asyncify_get_state() === 2) {
        exports.asyncify_stop_rewind();
        return resumeValue;
      }
      suspended = impl(...args);
      const dv = new DataView(exports.memory.buffer);
      dv.setUint32(dataPtr, dataPtr + 8, true);
      dv.setUint32(dataPtr + 4, dataPtr + DATA_SIZE, true);
      exports.asyncify_start_unwind(dataPtr);
      return 0;
    };
  }
  const unsupported = (what) => asyncImport(async () => setError(-6, 'NOT_SUPPORTED', `${what} is not supported by the test host`));

  // The one binding call of ABI 2: this test host knows the kind "kv", and "environ" (the environment it gave the
  // instance, which one restored from a Wizer snapshot asks for: docs/abi.md §2).
  async function bindingCall(kind, binding, req) {
    if (kind === 'kv') return kvOp(binding, req);
    if (kind === 'environ') return setResult(env);
    return setError(-6, 'NOT_SUPPORTED', `binding kind ${kind} is not supported by the test host`);
  }

  const pymode = {
    call: asyncImport((kp, kl, bp, bl, rp, rl) => bindingCall(dec.decode(bytesAt(kp, kl)), dec.decode(bytesAt(bp, bl)), bytesAt(rp, rl))),
    dl_open: unsupported('dl_open'),
    dl_sym: () => -6,
    result_take: (dst, len) => {
      if (pending === null) return -1;
      if (len < pending.length) return -2;
      mem().set(pending, dst);
      const n = pending.length;
      pending = null;
      return n;
    },
    log: (level, p, n) => logLine(level, dec.decode(bytesAt(p, n))),
  };
  const instance = await WebAssembly.instantiate(module, { wasi_snapshot_preview1: wasi.wasiImport, pymode });
  exports = instance.exports;
  // node:wasi refuses initialize() for modules that export _start; it only needs the memory.
  wasi.initialize({ exports: { memory: exports.memory } });
  const asyncified = typeof exports.asyncify_get_state === 'function';

  async function call(name, ...args) {
    let r = exports[name](...args);
    while (asyncified && exports.asyncify_get_state() === 1) {
      exports.asyncify_stop_unwind();
      resumeValue = await suspended;
      suspended = null;
      exports.asyncify_start_rewind(dataPtr);
      r = exports[name](...args);
    }
    return r;
  }

  return {
    compileMs,
    exports,
    asyncified,
    async init() {
      const t = performance.now();
      // The Asyncify data buffer comes first: pymode_alloc works before the interpreter exists.
      if (asyncified && !dataPtr) dataPtr = exports.pymode_alloc(DATA_SIZE);
      const r = await call('pymode_init');
      if (r !== 0) throw new Error(`pymode_init returned ${r}`);
      return performance.now() - t;
    },
    async handle({ method = 'GET', url = '/', headers = [], body = '', steps }) {
      if (asyncified && !dataPtr) dataPtr = exports.pymode_alloc(DATA_SIZE);
      const req = encodeFrames(['request', JSON.stringify({ method, url, headers }), enc.encode(body)]);
      const rp = exports.pymode_alloc(req.length);
      mem().set(req, rp);
      if (steps !== undefined) exports.pymode_set_step_budget(steps);
      let out;
      try {
        out = await call('pymode_handle', rp, req.length);
      } catch (e) {
        if (steps !== undefined && exports.pymode_set_step_budget(-1) === 1) return { status: null, trapped: String(e), step_budget_spent: true };
        throw e;
      }
      const step_budget_spent = steps !== undefined && exports.pymode_set_step_budget(-1) === 1;
      exports.pymode_free(rp);
      if (out === 0 && step_budget_spent) return { status: null, step_budget_spent };
      if (out === 0) throw new Error('pymode_handle returned 0 (interpreter failure, see the log)');
      const n = new DataView(exports.memory.buffer).getUint32(out, true);
      const frames = decodeFrames(bytesAt(out + 4, n));
      exports.pymode_free(out);
      const meta = JSON.parse(dec.decode(frames[0]));
      return { status: meta.status, headers: meta.headers, body: dec.decode(frames[1] ?? new Uint8Array()), step_budget_spent };
    },
  };
}

async function main() {
  const argv = process.argv.slice(2);
  const opts = { preopens: {}, env: {}, kv: new Map() };
  let init = true;
  const requests = [];
  while (argv.length) {
    const a = argv.shift();
    if (a === '--wasm') opts.wasm = argv.shift();
    else if (a === '--dir') { const [h, g] = argv.shift().split('::'); opts.preopens[g] = h; }
    else if (a === '--env') { const v = argv.shift(); const i = v.indexOf('='); opts.env[v.slice(0, i)] = v.slice(i + 1); }
    else if (a === '--kv') { const v = argv.shift(); const i = v.indexOf('='); opts.kv.set(v.slice(0, i), enc.encode(v.slice(i + 1))); }
    else if (a === '--no-init') init = false;
    else requests.push(JSON.parse(a));
  }
  if (!opts.wasm) throw new Error('--wasm is required');
  const host = await createHost(opts);
  const initMs = init ? await host.init() : 0;
  for (const r of requests) {
    const t = performance.now();
    const res = await host.handle(r);
    process.stdout.write(JSON.stringify({ ...res, ms: performance.now() - t }) + '\n');
  }
  process.stdout.write(JSON.stringify({ init_ms: initMs, compile_ms: host.compileMs, asyncified: host.asyncified }) + '\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e) => { console.error(e.stack || String(e)); process.exit(1); });
}
