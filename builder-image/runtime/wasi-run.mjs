// A tiny wasmtime-like CLI around node:wasi, used to run python.wasm's `_start`.
//   node wasi-run.mjs [--dir HOST::GUEST]... [--env K=V]... [--argv0 NAME] MODULE.wasm [ARGS...]
// The exit status of the guest becomes the exit status of node.
import { WASI } from 'node:wasi';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';

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
var instance = await WebAssembly.instantiate(module, { wasi_snapshot_preview1: wasi.wasiImport, ...stubImports(module) });
process.exitCode = wasi.start(instance);

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
