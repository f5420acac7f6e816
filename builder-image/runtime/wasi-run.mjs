// A tiny wasmtime-like CLI around node:wasi, used to run python.wasm's `_start`.
//   node wasi-run.mjs [--dir HOST::GUEST]... [--env K=V]... [--argv0 NAME] MODULE.wasm [ARGS...]
// The exit status of the guest becomes the exit status of node.
// C side modules (the runtime's lib-dynload/, mapped at /lib/python3.13/lib-dynload, and C extensions under
// a mapped site dir) load through dlopen -> pymode.dl_open with the worker's linker
// (worker/src/runtime/dynlink.ts, compiled here with the worker's esbuild); without worker/node_modules
// dl_open fails with a message that says so.
import { WASI } from 'node:wasi';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const argv = process.argv.slice(2);
const preopens = {};
const env = {};
let argv0 = null;
while (argv.length && argv[0].startsWith('--')) {
  const opt = argv.shift();
  const val = argv.shift();
  if (val === undefined) throw new Error(`${opt} needs a value`);
  if (opt === '--dir') {
    const [host, guest] = val.includes('::') ? val.split('::') : [val, val];
    preopens[guest] = host;
  } else if (opt === '--env') {
    const i = val.indexOf('=');
    if (i < 1) throw new Error(`--env needs K=V, got ${val}`);
    env[val.slice(0, i)] = val.slice(i + 1);
  } else if (opt === '--argv0') {
    argv0 = val;
  } else {
    throw new Error(`unknown option ${opt}`);
  }
}
const file = argv.shift();
if (!file) {
  console.error('usage: wasi-run.mjs [--dir HOST::GUEST]... [--env K=V]... MODULE.wasm [ARGS...]');
  process.exit(2);
}
// argv[0] is a bare name (as wasmtime passes it), so CPython's getpath does not look for a file.
const wasi = new WASI({ version: 'preview1', args: [argv0 ?? basename(file), ...argv], env, preopens, returnOnExit: true });
const module = await WebAssembly.compile(await readFile(file));
const imports = stubImports(module);
const linker = imports.pymode?.dl_open ? await sideModuleLinker() : null;
if (linker) Object.assign(imports.pymode, linker.imports);
var instance = await WebAssembly.instantiate(module, { wasi_snapshot_preview1: wasi.wasiImport, ...imports });
linker?.attach(instance.exports);
process.exitCode = wasi.start(instance);

// The guest path's file on the host, through the longest matching preopen.
function hostPath(guest) {
  const dir = Object.keys(preopens).filter((g) => guest === g || guest.startsWith(g.replace(/\/$/, '') + '/'))
    .sort((a, b) => b.length - a.length)[0];
  return dir === undefined ? undefined : join(preopens[dir], guest.slice(dir.length));
}

async function sideModuleLinker() {
  const worker = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'worker');
  if (!existsSync(join(worker, 'node_modules', 'esbuild'))) {
    const why = `this CLI host links side modules with ${worker}/src/runtime/dynlink.ts, but ${worker}/node_modules is missing (run npm ci there)`;
    return { imports: { dl_open: () => { pending = why; return -6; }, result_take: takeMessage }, attach() {} };
  }
  const esbuild = createRequire(join(worker, 'package.json'))('esbuild');
  const out = await esbuild.build({ entryPoints: [join(worker, 'src', 'runtime', 'dynlink.ts')], bundle: true, format: 'esm',
    platform: 'node', write: false, logLevel: 'error' });
  const dl = await import('data:text/javascript;base64,' + Buffer.from(out.outputFiles[0].text).toString('base64'));
  const l = new dl.SideModuleLinker({ source: dl.compilingSource((p) => {
    const h = hostPath(p);
    return h && existsSync(h) ? readFileSync(h) : undefined;
  }) });
  return { imports: dl.syncDynloadImports(l, () => instance.exports.memory), attach: (ex) => l.attach(ex) };
}

// result_take for the no-linker case: the reason as an error frame ([u32 len][json]).
var pending = null;
function takeMessage(dst, dstLen) {
  if (pending === null) return -1;
  const json = Buffer.from(JSON.stringify({ code: 'NOT_SUPPORTED', message: pending }));
  if (json.length + 4 > dstLen) return -2;
  const mem = new Uint8Array(instance.exports.memory.buffer);
  new DataView(mem.buffer).setUint32(dst, json.length, true);
  mem.set(json, dst + 4);
  pending = null;
  return json.length + 4;
}

// python.wasm also imports the `pymode` host functions (docs/abi.md section 2). This CLI host has
// no bindings: every call reports -6 ("not supported by this host") with nothing pending,
// result_take finds nothing (-1), and log lines go to stderr.
function stubImports(mod) {
  const out = {};
  for (const imp of WebAssembly.Module.imports(mod)) {
    if (imp.module === 'wasi_snapshot_preview1' || imp.kind !== 'function') continue;
    (out[imp.module] ??= {})[imp.name] = () => -6;
  }
  if (out.pymode) {
    out.pymode.result_take = () => -1;
    out.pymode.log = (level, ptr, len) => {
      const bytes = new Uint8Array(instance.exports.memory.buffer, ptr, len);
      process.stderr.write(`[pymode log ${level}] ${new TextDecoder().decode(bytes)}\n`);
    };
  }
  return out;
}
