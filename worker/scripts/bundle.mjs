#!/usr/bin/env node
// Build the module set a Cloudflare upload needs (worker/README.md "Bundle format").
//
//   node scripts/bundle.mjs --project DIR [--runtime DIR] [--pylib DIR] [--site DIR]... [--entry PATH]
//                           [--compat-date YYYY-MM-DD] [--compat-flag F]... --out DIR
//
// Output: worker.js (ESM main module), python.wasm (CompiledWasm), python313.zip (Data),
// app.pvfs (Data: VFS image of /lib/site, /app and stubs in /lib/python3.13/lib-dynload), ext/*.wasm
// (CompiledWasm: the C-extension side modules found in the --site dirs and the runtime's own side modules
// from its lib-dynload/, one variant each: the one the driver links), bundle.json (manifest).
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, copyFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { encodeFrames } from "../src/runtime/frame-list.mjs";
import { STDLIB_ASSETS_BINDING, STDLIB_GUEST_DIR, groupAssetPath, splitStdlib } from "./stdlib-assets.mjs";
// What the project's sources must contain for a runtime side module to ship (builder-image/runtime/dynload_triggers.py).
// An import, not a read relative to this file: esbuild bundles this script into test harnesses elsewhere.
import RUNTIME_MODULE_TRIGGERS from "./runtime-modules.json" with { type: "json" };
import ROUTING_MODES from "../src/runtime/routing-modes.json" with { type: "json" };
// pylib's directories that only run natively (the native host pymode._native, the CLI, the dev server): never
// at the edge. The one list: builder-image/bundler/pymode_build.py reads it too for a snapshot's site.
import PYLIB_NATIVE_ONLY from "./pylib-native-only.json" with { type: "json" };

const here = dirname(fileURLToPath(import.meta.url));
const workerDir = resolve(here, "..");
const repoDir = resolve(workerDir, "..");

export const BUNDLE_FORMAT = "pymode-bundle/1";
// The project's one default compatibility date: every bundle states it (manifest `compatibility_date`) and the operator
// and the CLI apply it wherever a worker does not pin its own (`spec.cloudflare.compatibilityDate`).
export const DEFAULT_COMPAT_DATE = "2026-04-01";
export const DO_CLASSES = [
  { binding: "PYTHON_DO", class_name: "PythonDO" },
  { binding: "THREAD_DO", class_name: "ThreadDO" },
];
export const MIGRATION = { new_tag: "pymode-v1", steps: [{ new_sqlite_classes: ["PythonDO", "ThreadDO"] }] };
/** The module src/index.ts imports the side-module map from (generated per bundle). */
const SIDE_MODULES_IMPORT = "pymode:side-modules";
const WASM_MAGIC = Buffer.from([0x00, 0x61, 0x73, 0x6d]);

export { PYLIB_NATIVE_ONLY };

/**
 * The packages pylib ships to the edge: each top-level directory with an `__init__.py` (pymode, and workers:
 * Cloudflare's Python Workers API on pymode). pymode_build.py puts the same ones into a snapshot's site.
 */
export function pylibPackages(pylibDir) {
  return readdirSync(pylibDir).sort().filter((name) => existsSync(join(pylibDir, name, "__init__.py")));
}

/** Whether `rel` (a "/"-separated path below pylib) is in a native-only directory (PYLIB_NATIVE_ONLY). */
export function isPylibNativeOnly(rel) {
  return PYLIB_NATIVE_ONLY.some((dir) => rel.startsWith(dir + "/"));
}
const SKIP_DIRS = new Set(["__pycache__", ".git", ".venv", "venv", "node_modules", ".pymode", ".wrangler", ".pytest_cache", ".mypy_cache"]);

/**
 * Default cap on python.wasm's linear memory: below the isolate's 128 MB, so that a memory bomb
 * makes memory.grow fail (malloc → NULL → Python MemoryError) instead of killing the isolate.
 */
export const DEFAULT_MAX_MEMORY_BYTES = 96 * 1024 * 1024;
const WASM_PAGE = 65536;

function readLeb(buf, off) {
  let n = 0, shift = 0, b;
  do {
    b = buf[off++];
    n += (b & 0x7f) * 2 ** shift;
    shift += 7;
  } while (b & 0x80);
  return [n, off];
}

function leb(n) {
  const out = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return Buffer.from(out);
}

/**
 * python.wasm with its memory's maximum set to `maxBytes`. The maximum must be in the module:
 * memory.grow is a wasm instruction (no host call to refuse it), and workerd cannot compile a
 * patched module at run time. Throws when the module's initial memory is already larger.
 */
export function capWasmMemory(wasm, maxBytes) {
  if (!Number.isFinite(maxBytes) || maxBytes < WASM_PAGE || maxBytes > 2 ** 32) throw new Error(`bundle: memory cap must be 64 KiB..4 GiB, got ${maxBytes}`);
  const maxPages = Math.floor(maxBytes / WASM_PAGE);
  let off = 8;
  while (off < wasm.length) {
    const id = wasm[off];
    const [size, body] = readLeb(wasm, off + 1);
    if (id === 5) {
      let [count, p] = readLeb(wasm, body);
      if (count !== 1) throw new Error(`bundle: python.wasm defines ${count} memories, expected 1`);
      const flags = wasm[p];
      if (flags & 2) throw new Error("bundle: python.wasm has a shared memory; cannot cap it");
      const [minPages, q] = readLeb(wasm, p + 1);
      const end = flags & 1 ? readLeb(wasm, q)[1] : q;
      if (minPages > maxPages) throw new Error(`bundle: python.wasm starts with ${minPages * WASM_PAGE} bytes of memory, more than the cap of ${maxBytes}`);
      const section = Buffer.concat([leb(1), Buffer.from([1]), leb(minPages), leb(maxPages), wasm.subarray(end, body + size)]);
      return Buffer.concat([wasm.subarray(0, off), Buffer.from([5]), leb(section.length), section, wasm.subarray(body + size)]);
    }
    off = body + size;
  }
  throw new Error("bundle: python.wasm defines no memory (an imported memory cannot be capped here)");
}

export function defaultRuntimeDir() {
  return process.env.PYMODE_RUNTIME_DIR || join(homedir(), ".cache", "pymode", "runtime", "current");
}

function walk(dir, { skipTests = false } = {}) {
  const out = [];
  const rec = (d) => {
    for (const name of readdirSync(d).sort()) {
      if (name.startsWith(".") && name !== ".") continue;
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) {
        if (SKIP_DIRS.has(name) || (skipTests && name === "tests")) continue;
        rec(p);
      } else if (st.isFile()) {
        if (name.endsWith(".pyc") || name === ".dev.vars") continue;
        out.push(p);
      }
    }
  };
  rec(dir);
  return out;
}

/**
 * The pvfs image: frames of alternating absolute path and content, sorted by path (deterministic).
 * `replace(vpath, bytes)` may substitute a file's content (side modules become stubs) or return null to
 * leave the file out (side-module variants: they travel as CompiledWasm modules, if at all).
 */
export function buildAppImage({ pylibDir, projectDir, siteDirs = [], dynloadDir, extra = {}, replace = (_vpath, bytes) => bytes }) {
  const files = new Map(Object.entries(extra));
  const add = (vpath, host) => {
    const bytes = replace(vpath, readFileSync(host));
    if (bytes === null) files.delete(vpath);
    else files.set(vpath, bytes);
  };
  if (pylibDir) {
    const packages = pylibPackages(pylibDir);
    if (!packages.includes("pymode")) throw new Error(`pylib dir ${pylibDir} has no pymode package`);
    for (const pkg of packages) {
      for (const f of walk(join(pylibDir, pkg), { skipTests: true })) {
        const rel = relative(pylibDir, f).split(sep).join("/");
        // the native host, the CLI and the native dev server never run at the edge: keep them out of every bundle
        if (isPylibNativeOnly(rel)) continue;
        add("/lib/site/" + rel, f);
      }
    }
  }
  for (const s of siteDirs) for (const f of walk(s)) add("/lib/site/" + relative(s, f).split(sep).join("/"), f);
  if (dynloadDir) for (const f of walk(dynloadDir)) add(DYNLOAD_GUEST_DIR + "/" + relative(dynloadDir, f).split(sep).join("/"), f);
  for (const f of walk(projectDir)) add("/app/" + relative(projectDir, f).split(sep).join("/"), f);
  const te = new TextEncoder();
  const fields = [];
  for (const p of [...files.keys()].sort()) fields.push(te.encode(p), files.get(p));
  return { image: encodeFrames(fields), files: [...files.keys()].sort() };
}

/** Entry: --entry, else [tool.pymode] main of pyproject.toml, else src/entry.py. */
export function resolveEntry(projectDir, entry) {
  if (entry) return entry;
  const main = pymodeSettings(projectDir).main;
  return typeof main === "string" && main ? main : "src/entry.py";
}

function sha256(buf) {
  return createHash("sha256").update(buf).digest("hex");
}

/**
 * Where the extension builder puts the Asyncify variant of the side module at `<pkg>/<mod><EXT_SUFFIX>`:
 * `<pkg>/<mod><EXT_SUFFIX>.asyncify.wasm` (builder-image/extensions/build_extension.py ASYNCIFY_VARIANT_SUFFIX).
 */
export const ASYNCIFY_VARIANT_SUFFIX = ".asyncify.wasm";

/** The `.so` path whose Asyncify variant `rel` is, or undefined when `rel` names no variant file. */
function variantOf(rel) {
  return rel.endsWith(".so" + ASYNCIFY_VARIANT_SUFFIX) ? rel.slice(0, -ASYNCIFY_VARIANT_SUFFIX.length) : undefined;
}

/**
 * Where hosts map the runtime's lib-dynload/ (builder-image/runtime/mkdynload.py: CPython's optional built-in
 * modules, such as unicodedata and the CJK codecs, as side modules): on CPython's default sys.path.
 */
export const DYNLOAD_GUEST_DIR = "/lib/python3.13/lib-dynload";

/** The runtime's lib-dynload/ directory, or undefined for a runtime that has its optional modules built in. */
export function runtimeDynloadDir(runtimeDir) {
  const d = join(runtimeDir, "lib-dynload");
  return existsSync(d) ? d : undefined;
}


/** `[tool.pymode]` settings of pyproject.toml the bundler reads: `main`, `stdlib`, `stdlib-include` and `routing` (strings / a list of strings). */
export function pymodeSettings(projectDir) {
  const pp = join(projectDir, "pyproject.toml");
  if (!existsSync(pp)) return {};
  const sec = readFileSync(pp, "utf8").split(/^\[/m).find((s) => s.startsWith("tool.pymode]"));
  if (!sec) return {};
  const out = {};
  for (const m of sec.matchAll(/^\s*([A-Za-z0-9_-]+)\s*=\s*("[^"]*"|'[^']*'|\[[^\]]*\])/gm)) {
    const v = m[2];
    out[m[1]] = v.startsWith("[") ? [...v.matchAll(/["']([^"']*)["']/g)].map((x) => x[1]) : v.slice(1, -1);
  }
  return out;
}

/**
 * Which of the runtime's side modules (lib-dynload/: the CJK codecs, unicodedata, pyexpat, _elementtree) a
 * bundle ships. `stdlib` "full" ships all; otherwise (`"auto"`, the default) a module ships
 * when the project's, its packages' or pymode's Python sources (`texts`) contain one of its trigger words (its
 * name, the stdlib packages that import it, the names and aliases of the encodings it implements;
 * runtime-modules.json), or when `include` (`[tool.pymode] stdlib-include`) names it, and with it the modules
 * it `needs`.
 * A module left out keeps a stub in the VFS, so importing it fails with an ImportError that names it and the
 * option (src/runtime/dynlink.ts). Returns {module: reason} for the modules shipped.
 */
export function selectRuntimeModules(available, texts, { stdlib = "auto", include = [] } = {}) {
  if (!["auto", "full"].includes(stdlib)) throw new Error(`bundle: [tool.pymode] stdlib must be "auto" or "full", got ${JSON.stringify(stdlib)}`);
  const unknown = include.filter((m) => !available.includes(m));
  if (unknown.length) {
    throw new Error(`bundle: [tool.pymode] stdlib-include names ${unknown.join(", ")}, which the runtime does not ship as side modules ` +
      `(it has: ${available.join(", ")}; everything else of the stdlib is always there)`);
  }
  const chosen = {};
  if (stdlib === "full") {
    for (const m of available) chosen[m] = 'stdlib = "full"';
    return chosen;
  }
  const words = new Set();
  let nameEscape = false, nonAscii = false;
  for (const t of texts) {
    for (const w of t.toLowerCase().replaceAll("-", "_").match(/\w+/g) ?? []) words.add(w);
    nameEscape ||= t.includes("\\N{");
    nonAscii ||= nonAsciiCode(t);
  }
  for (const m of available) {
    const trig = RUNTIME_MODULE_TRIGGERS[m];
    if (include.includes(m)) chosen[m] = "stdlib-include";
    else if (!trig) chosen[m] = "no trigger list for it (runtime-modules.json): always shipped";
    else if (trig.words.some((w) => words.has(w))) chosen[m] = `the sources name ${trig.words.find((w) => words.has(w))}`;
    else if (trig.name_escapes && nameEscape) chosen[m] = "a \\N{...} escape in the sources";
    else if (trig.non_ascii && nonAscii) chosen[m] = "non-ASCII characters in the sources (tracebacks measure them)";
  }
  // what a chosen module imports when it is initialised (`needs`: a CJK codec _multibytecodec, _elementtree pyexpat)
  for (const m of Object.keys(chosen)) {
    for (const dep of RUNTIME_MODULE_TRIGGERS[m]?.needs ?? []) if (available.includes(dep)) chosen[dep] ??= `${m} needs it`;
  }
  return chosen;
}

/**
 * Whether Python source `text` has a non-ASCII character where a traceback may show it: anywhere but in
 * comment lines and docstrings (a triple-quoted string that is a module's, class's or function's first
 * statement). traceback imports unicodedata to place the carets under such a line.
 */
export function nonAsciiCode(text) {
  const NON_ASCII = /[^\x00-\x7f]/;
  if (!NON_ASCII.test(text)) return false;
  let inString = null, docstring = false, afterHeader = true; // the file start counts as a header
  for (const line of text.split("\n")) {
    const t = line.trim();
    if (inString) {
      if (!docstring && NON_ASCII.test(line)) return true;
      if (line.includes(inString)) inString = null;
      continue;
    }
    if (!t || t.startsWith("#")) continue;
    const open = /^[rRbBuUfF]{0,2}("""|''')/.exec(t);
    const code = t.replace(/#.*$/, "");
    if (open) {
      docstring = afterHeader;
      if (!docstring && NON_ASCII.test(line)) return true;
      if (!t.slice(open[0].length).includes(open[1])) inString = open[1];
    } else {
      if (NON_ASCII.test(code)) return true;
      const m = /("""|''')/.exec(code);
      if (m && code.split(m[1]).length % 2 === 0) inString = m[1];
      docstring = false;
    }
    afterHeader = !open && /:\s*$/.test(code) && /^(async\s+def|def|class)\b/.test(t);
  }
  return false;
}

/** The module name of a side-module file name (`unicodedata.cpython-313-wasm32-wasi.so` -> `unicodedata`). */
function soModuleName(path) {
  return path.split("/").pop().replace(/\.cpython-[^/]*\.so$|\.so$/, "");
}

/** The Python sources a bundle carries (project, site dirs, pylib's packages), for selectRuntimeModules. */
function pythonSources(dirs) {
  return dirs.flatMap((d) => (existsSync(d) ? walk(d) : [])).filter((f) => f.endsWith(".py")).map((f) => readFileSync(f, "utf8"));
}

/**
 * C-extension side modules in the site dirs (and the runtime's own in `dynloadDir`, at DYNLOAD_GUEST_DIR),
 * by the `.so` path CPython's FileFinder looks at, each with
 * the variants found for it: `plain` (links against python-noasync.wasm, driven by JSPI) and `asyncify`
 * (asyncify-relocatable: links against the asyncified python.wasm). The extension builder writes the plain
 * one at the `.so` path and the Asyncify one beside it (ASYNCIFY_VARIANT_SUFFIX); a `.so` that imports
 * python.wasm's Asyncify state (a build from before both variants) is the Asyncify variant itself.
 * As in the VFS, a file of a later site dir replaces the same path of an earlier one.
 * Returns [{path, variants: {plain?, asyncify?: {host, sha256, size}}}], sorted by path.
 */
export function findSideModules(siteDirs, dynloadDir) {
  const files = new Map(); // guest path of a .so or a variant file -> {so, variant, host, sha256, size}
  const roots = siteDirs.map((d) => [d, "/lib/site/"]);
  if (dynloadDir) roots.push([dynloadDir, DYNLOAD_GUEST_DIR + "/"]);
  for (const [dir, prefix] of roots) {
    for (const host of walk(dir)) {
      const rel = relative(dir, host).split(sep).join("/");
      const so = rel.endsWith(".so") ? rel : variantOf(rel);
      if (!so) continue;
      const bytes = readFileSync(host);
      if (!bytes.subarray(0, 4).equals(WASM_MAGIC)) throw new Error(`bundle: ${host} is named as a side module but is not wasm`);
      const variant = importsAsyncifyState(bytes) ? "asyncify" : "plain";
      if (so !== rel && variant !== "asyncify") throw new Error(`bundle: ${host} is named as an Asyncify variant but is not asyncified`);
      files.set(prefix + rel, { so: prefix + so, variant, host, sha256: sha256(bytes), size: bytes.byteLength });
    }
  }
  const modules = new Map();
  for (const [, f] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    if (!files.has(f.so)) throw new Error(`bundle: ${f.host} is an Asyncify variant of ${f.so}, which no site dir has (FileFinder looks there)`);
    const m = modules.get(f.so) ?? { path: f.so, variants: {} };
    const other = m.variants[f.variant];
    if (other) throw new Error(`bundle: two ${f.variant} variants of ${f.so}: ${other.host} and ${f.host}`);
    m.variants[f.variant] = { host: f.host, sha256: f.sha256, size: f.size };
    modules.set(f.so, m);
  }
  return [...modules.values()];
}

/**
 * The variant of each side module the driver links, as the upload carries it (`ext/<module>-<sha256
 * prefix>.wasm`, a CompiledWasm module: Workers cannot compile wasm at run time; the VFS keeps only a stub
 * at the `.so` path, which FileFinder needs to see, and dlopen() of that path links the pre-compiled
 * module, src/runtime/dynlink.ts). JSPI: the plain variant. Asyncify: the Asyncify variant, or the plain
 * one where there is none (it links, but host calls from its C callbacks are refused, dynlink.ts
 * suspendBlocker). chooseDriver has made sure the variant exists.
 */
export function shippedSideModules(sideModules, driver) {
  return sideModules.map((m) => {
    const variant = driver === "jspi" || !m.variants.asyncify ? "plain" : "asyncify";
    const v = m.variants[variant];
    const stem = m.path.slice(m.path.startsWith("/lib/site/") ? "/lib/site/".length : DYNLOAD_GUEST_DIR.length + 1).replace(/\.cpython-[^/]*\.so$|\.so$/, "").replace(/[^A-Za-z0-9_.-]/g, ".");
    return { path: m.path, variant, module: `ext/${stem}-${v.sha256.slice(0, 12)}.wasm`, ...v };
  });
}

/** An asyncify-relocatable side module imports python.wasm's Asyncify state (src/runtime/dynlink.ts). */
function importsAsyncifyState(bytes) {
  return WebAssembly.Module.imports(new WebAssembly.Module(bytes)).some((i) => i.module === "env" && i.name === "__asyncify_state");
}

/** python.wasm run through wasm-opt --asyncify exports asyncify_get_state (`module`: the compiled python.wasm). */
function exportsAsyncify(module) {
  return WebAssembly.Module.exports(module).some((e) => e.name === "asyncify_get_state");
}

/** The custom section snapshot.sh appends: {"zip_sha256"} of the stdlib zip the snapshot was made with. */
const SNAPSHOT_STDLIB_SECTION = "pymode.stdlib";

/**
 * A snapshot's heap holds zipimport's directory of the stdlib zip it was made with (entries by offset): shipped with
 * another zip, its imports would read the wrong bytes. Throws unless the snapshot names the zip the bundle ships;
 * a snapshot that names none (made before snapshot.sh recorded it) passes unless the stdlib is split.
 */
export function checkSnapshotStdlib(module, zipSha256, split) {
  const sections = WebAssembly.Module.customSections(module, SNAPSHOT_STDLIB_SECTION);
  const recorded = sections.length ? JSON.parse(new TextDecoder().decode(sections[0])).zip_sha256 : null;
  const how = split ? "bundle.mjs --split-stdlib DIR --stdlib-keep init, then snapshot.sh --stdlib DIR/python313.zip" : "snapshot.sh --stdlib <runtime>/python313.zip";
  if (recorded === null && split) throw new Error(`bundle: the snapshot does not record the stdlib zip it was made with; make it with ${how}`);
  if (recorded !== null && recorded !== zipSha256) {
    throw new Error(`bundle: the snapshot was made with another stdlib zip (sha256 ${recorded.slice(0, 16)}…) than the bundle ships (${zipSha256.slice(0, 16)}…); make it with ${how}`);
  }
}

export const DRIVERS = ["auto", "jspi", "asyncify"];
/** The runtime file each driver runs. */
export const DRIVER_WASM = { jspi: "python-noasync.wasm", asyncify: "python.wasm" };

/**
 * How the bundle suspends python.wasm at async host calls, chosen once here so an upload holds one
 * python.wasm and one variant of each side module (issue #13). "jspi": the plain build, host imports
 * wrapped in WebAssembly.Suspending (workerd has JSPI with default flags), with the plain side modules.
 * "asyncify": the build run through wasm-opt --asyncify, for hosts without JSPI, with the Asyncify
 * variants. "auto" (default) is jspi unless a side module exists only as an Asyncify build (an extension
 * artifact from before the builder wrote both variants), which links only against the asyncified
 * python.wasm, or the runtime has no plain build (a runtime artifact published before JSPI carried only
 * python.wasm). Returns {driver, reason}; throws when "jspi" is asked for with such a side module.
 */
export function chooseDriver(requested, sideModules, runtimeDir) {
  if (!DRIVERS.includes(requested)) throw new Error(`--driver must be one of ${DRIVERS.join(", ")}, got ${JSON.stringify(requested)}`);
  const onlyAsyncify = sideModules.filter((m) => !m.variants.plain).map((m) => m.path);
  const onlyPlain = sideModules.filter((m) => !m.variants.asyncify).map((m) => m.path);
  // Under Asyncify a side module without an Asyncify variant links, but its C callbacks cannot wait for the host.
  const asyncify = (reason) => ({
    driver: "asyncify",
    reason: reason + (onlyPlain.length ? `; no Asyncify variant (host calls from their C callbacks are refused): ${onlyPlain.join(", ")}` : ""),
  });
  if (requested === "asyncify") return asyncify("--driver asyncify");
  if (requested === "auto" && !existsSync(join(runtimeDir, DRIVER_WASM.jspi))) return asyncify(`auto: the runtime has no ${DRIVER_WASM.jspi}`);
  if (onlyAsyncify.length && requested === "jspi") {
    throw new Error(`--driver jspi: side modules built only for Asyncify (no plain variant) cannot link against the plain python.wasm: ` +
      `${onlyAsyncify.join(", ")} (rebuild them with the current build_extension.py, which writes both variants)`);
  }
  if (onlyAsyncify.length) return asyncify(`auto: side modules built only for Asyncify: ${onlyAsyncify.join(", ")}`);
  return { driver: "jspi", reason: requested === "jspi" ? "--driver jspi" : "auto: no side module needs Asyncify" };
}

function sideModuleStub(m) {
  return Buffer.from(`pymode side module: linked from the CompiledWasm module ${m.module} (sha256 ${m.sha256})\n`);
}

/** esbuild plugin: `import sideModules from "pymode:side-modules"` -> {guest path: CompiledWasm module}. */
function sideModulesPlugin(sideModules) {
  const code = sideModules.map((m, i) => `import m${i} from ${JSON.stringify("./" + m.module)};`).join("\n") +
    `\nexport default {${sideModules.map((m, i) => `${JSON.stringify(m.path)}: m${i}`).join(", ")}};\n`;
  return {
    name: "pymode-side-modules",
    setup(b) {
      b.onResolve({ filter: /^pymode:side-modules$/ }, () => ({ path: SIDE_MODULES_IMPORT, namespace: "pymode" }));
      b.onLoad({ filter: /.*/, namespace: "pymode" }, () => ({ contents: code, loader: "js" }));
    },
  };
}

const ASSETS_DIR = "assets";

/**
 * The static assets of a bundle whose stdlib is split (bundle.json `assets`, the contract with the operator's upload):
 * every file under `directory` is one asset at `/` + its path there; `binding` is the Worker's assets binding.
 */
function writeStdlibAssets(outDir, split) {
  rmSync(join(outDir, ASSETS_DIR), { recursive: true, force: true });
  if (!split) return null;
  let size = 0;
  for (const [group, bytes] of split.groups) {
    const file = join(outDir, ASSETS_DIR, ...groupAssetPath(group).split("/").filter(Boolean));
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, bytes);
    size += bytes.byteLength;
  }
  const gzip = [...split.groups.values()].reduce((n, b) => n + gzipSync(b, { level: 9 }).byteLength, 0);
  return { directory: ASSETS_DIR, binding: STDLIB_ASSETS_BINDING, config: { run_worker_first: true }, files: split.groups.size, size, gzip_size: gzip };
}

/**
 * `--split-stdlib DIR`: the split stdlib a Wizer snapshot of an assets bundle must be made with (snapshot.sh
 * --stdlib DIR/python313.zip): the zip the bundle will ship, and pymode-stdlib/ with the index and every group.
 */
export function writeSplitStdlib(runtimeDir, keep, dir) {
  const split = splitStdlib(readFileSync(join(runtimeDir, "python313.zip")), keep);
  rmSync(join(dir, "pymode-stdlib"), { recursive: true, force: true });
  mkdirSync(join(dir, "pymode-stdlib"), { recursive: true });
  writeFileSync(join(dir, "python313.zip"), split.zip);
  writeFileSync(join(dir, "pymode-stdlib", "index"), split.index);
  for (const [group, bytes] of split.groups) writeFileSync(join(dir, "pymode-stdlib", `${group}.bin`), bytes);
  return { zip: join(dir, "python313.zip"), kept: split.kept.length, served: split.served.length };
}

export async function bundle(opts) {
  const runtimeDir = resolve(opts.runtime ?? defaultRuntimeDir());
  const projectDir = resolve(opts.project);
  const pylibDir = opts.pylib === null ? null : resolve(opts.pylib ?? join(repoDir, "pylib"));
  const outDir = resolve(opts.out);
  const dynloadDir = runtimeDynloadDir(runtimeDir);
  const settings = pymodeSettings(projectDir);
  const allFound = findSideModules(opts.site ?? [], dynloadDir);
  const runtimeAvailable = allFound.filter((m) => m.path.startsWith(DYNLOAD_GUEST_DIR + "/")).map((m) => soModuleName(m.path));
  const runtimeChosen = selectRuntimeModules(runtimeAvailable,
    pythonSources([projectDir, ...(opts.site ?? []), ...(pylibDir ? pylibPackages(pylibDir).map((p) => join(pylibDir, p)) : [])]),
    { stdlib: opts.stdlib ?? settings.stdlib ?? "auto", include: [...(opts.stdlibInclude ?? []), ...[settings["stdlib-include"] ?? []].flat()] });
  const found = allFound.filter((m) => !m.path.startsWith(DYNLOAD_GUEST_DIR + "/") || soModuleName(m.path) in runtimeChosen);
  const { driver, reason: driverReason } = chooseDriver(opts.driver ?? "auto", found, runtimeDir);
  const sideModules = shippedSideModules(found, driver);
  // --wasm FILE: use another python.wasm (e.g. a Wizer snapshot from snapshot.sh) instead of the runtime's.
  const wasmPath = opts.wasm ? resolve(opts.wasm) : join(runtimeDir, DRIVER_WASM[driver]);
  for (const [what, p] of [[opts.wasm ? "--wasm" : DRIVER_WASM[driver], wasmPath], ["python313.zip", join(runtimeDir, "python313.zip")], ["project dir", projectDir]]) {
    if (!existsSync(p)) throw new Error(`bundle: ${what} not found at ${p}` + (what === "project dir" ? "" : ` (build the runtime with builder-image/runtime/build.sh or set PYMODE_RUNTIME_DIR)`));
  }
  const wasmBytes = readFileSync(wasmPath);
  // compiled once here for the checks below (an 8 MB snapshot takes a noticeable while)
  const wasmModule = new WebAssembly.Module(wasmBytes);
  if (exportsAsyncify(wasmModule) !== (driver === "asyncify")) {
    throw new Error(`bundle: ${wasmPath} is ${driver === "asyncify" ? "not " : ""}asyncified, but the driver is ${driver} (${driverReason}); ` +
      `snapshot ${DRIVER_WASM[driver]} instead`);
  }
  // --stdlib-assets: the stdlib beyond what an interpreter imports before it serves goes to static assets
  // (stdlib-assets.mjs). Under a snapshot (--wasm) only CPython's own start stays: the snapshot's heap has the rest,
  // and it must have been made with this same zip (--split-stdlib init).
  const stdlibSplit = opts.stdlibAssets ? splitStdlib(readFileSync(join(runtimeDir, "python313.zip")), opts.wasm ? "init" : "start") : null;
  const shippedZip = stdlibSplit ? stdlibSplit.zip : readFileSync(join(runtimeDir, "python313.zip"));
  if (opts.wasm) checkSnapshotStdlib(wasmModule, sha256(shippedZip), Boolean(stdlibSplit));
  const entry = resolveEntry(projectDir, opts.entry);
  if (!existsSync(join(projectDir, entry))) throw new Error(`bundle: entry ${entry} not found in ${projectDir}`);
  let runtimeManifest = {};
  if (existsSync(join(runtimeDir, "manifest.json"))) runtimeManifest = JSON.parse(readFileSync(join(runtimeDir, "manifest.json"), "utf8"));
  const routing = pymodeSettings(projectDir).routing;
  if (routing !== undefined && !ROUTING_MODES.includes(routing)) {
    throw new Error(`bundle: [tool.pymode] routing must be one of ${ROUTING_MODES.join(", ")}, got ${JSON.stringify(routing)} (worker/README.md "Routing policy")`);
  }
  const app = {
    entry,
    ...(routing ? { routing } : {}),
    preopens: opts.preopens ?? runtimeManifest.preopens ?? ["/lib", "/lib/site", "/app", "/tmp"],
    asyncifyStackSize: opts.asyncifyStackSize ?? runtimeManifest.asyncify_stack_size ?? 1 << 20,
    pythonEnv: opts.pythonEnv ?? {},
    driver,
    ...(runtimeManifest.extensions?.soabi ? { soabi: runtimeManifest.extensions.soabi } : {}),
    ...(stdlibSplit ? { stdlibAssets: { binding: STDLIB_ASSETS_BINDING } } : {}),
  };

  mkdirSync(outDir, { recursive: true });
  const res = await build({
    entryPoints: [join(workerDir, "src", "index.ts")],
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    outfile: join(outDir, "worker.js"),
    external: ["cloudflare:*", "./python.wasm", "./python313.zip", "./app.pvfs", "./ext/*"],
    plugins: [sideModulesPlugin(sideModules)],
    define: { __PYMODE_APP_CONFIG__: JSON.stringify(app) },
    minify: opts.minify ?? false,
    legalComments: "none",
    logLevel: "silent",
    write: true,
  });
  if (res.errors.length) throw new Error("esbuild failed: " + JSON.stringify(res.errors));

  const maxMemoryBytes = opts.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES;
  writeFileSync(join(outDir, "python.wasm"), capWasmMemory(wasmBytes, maxMemoryBytes));
  writeFileSync(join(outDir, "python313.zip"), shippedZip);
  const assets = writeStdlibAssets(outDir, stdlibSplit);
  const byPath = new Map(sideModules.map((m) => [m.path, m]));
  const { image, files } = buildAppImage({
    pylibDir,
    projectDir,
    siteDirs: opts.site ?? [],
    dynloadDir,
    extra: stdlibSplit ? { [`${STDLIB_GUEST_DIR}/index`]: Buffer.from(stdlibSplit.index) } : {},
    // the .so path keeps a stub; variant files stay out (the variant shipped is an ext/ module)
    // a runtime side module left out keeps a stub too: dlopen of it explains (src/runtime/dynlink.ts)
    replace: (vpath, bytes) => (byPath.has(vpath) ? sideModuleStub(byPath.get(vpath)) : variantOf(vpath) ? null
      : vpath.startsWith(DYNLOAD_GUEST_DIR + "/") ? Buffer.from(`pymode: ${soModuleName(vpath)} is left out of this bundle ([tool.pymode] stdlib-include)\n`) : bytes),
  });
  writeFileSync(join(outDir, "app.pvfs"), image);
  if (sideModules.length) mkdirSync(join(outDir, "ext"), { recursive: true });
  for (const m of sideModules) copyFileSync(m.host, join(outDir, m.module));

  const kinds = {
    "worker.js": ["esm", "application/javascript+module"],
    "python.wasm": ["compiled-wasm", "application/wasm"],
    "python313.zip": ["data", "application/octet-stream"],
    "app.pvfs": ["data", "application/octet-stream"],
  };
  for (const m of sideModules) kinds[m.module] = ["compiled-wasm", "application/wasm"];
  const modules = [];
  let gzTotal = 0;
  for (const [name, [type, contentType]] of Object.entries(kinds)) {
    const buf = readFileSync(join(outDir, name));
    const gz = gzipSync(buf, { level: 9 }).byteLength;
    gzTotal += gz;
    modules.push({ name, type, content_type: contentType, size: buf.byteLength, gzip_size: gz, sha256: sha256(buf) });
  }
  const sideModuleEntries = (list) => list.map((m) => {
    const mod = modules.find((x) => x.name === m.module);
    return { path: m.path, module: m.module, variant: m.variant, sha256: m.sha256, size: m.size, gzip_size: mod.gzip_size };
  });
  const manifest = {
    format: BUNDLE_FORMAT,
    main_module: "worker.js",
    modules,
    total_size: modules.reduce((n, m) => n + m.size, 0),
    total_gzip_size: gzTotal,
    compatibility_date: opts.compatDate ?? DEFAULT_COMPAT_DATE,
    compatibility_flags: opts.compatFlags ?? [],
    durable_objects: DO_CLASSES,
    migrations: MIGRATION,
    app,
    // C extensions (from the --site dirs) and the runtime's own side modules (lib-dynload/), each as shipped
    extensions: sideModuleEntries(sideModules.filter((m) => !m.path.startsWith(DYNLOAD_GUEST_DIR + "/"))),
    runtime_modules: sideModuleEntries(sideModules.filter((m) => m.path.startsWith(DYNLOAD_GUEST_DIR + "/"))).map((e) => ({ ...e, reason: runtimeChosen[soModuleName(e.path)] })),
    runtime_modules_left_out: runtimeAvailable.filter((m) => !(m in runtimeChosen)),
    ...(assets ? { assets } : {}),
    vfs: { image: "app.pvfs", files: files.length, mounts: { "/lib/python313.zip": "python313.zip", "/lib/site": "app.pvfs", [DYNLOAD_GUEST_DIR]: "app.pvfs (stubs)", "/app": "app.pvfs", "/tmp": "writable, per instance" } },
    runtime: { dir: runtimeDir, wasm: wasmPath, wasm_sha256: sha256(wasmBytes), driver, driver_reason: driverReason, snapshot: Boolean(opts.wasm), max_memory_bytes: maxMemoryBytes, manifest_key: runtimeManifest.key ?? null, python: runtimeManifest.python ?? null },
    vars: {
      PYMODE_BINDINGS_DECL: "JSON {NAME: kv|r2|d1|var|secret}, set by the operator",
      PYMODE_ROUTING: "single (default) | sharded | per-request",
      PYMODE_SHARDS: "shard count for sharded routing (default 4)",
      PYMODE_SHARD_KEY: "request header hashed to pick a shard (default: random)",
      PYMODE_MAX_REQUEST_BYTES: "default 10485760",
      PYMODE_MAX_RESPONSE_BYTES: "default 26214400",
      PYMODE_MAX_HTTP_RESPONSE_BYTES: "default 33554432",
      PYMODE_REQUEST_TIMEOUT_MS: "default 30000",
      PYMODE_MAX_QUEUE: "default 32",
      PYMODE_MAX_PYTHON_STEPS: "default 100000000 (0 = no step budget)",
    },
  };
  writeFileSync(join(outDir, "bundle.json"), JSON.stringify(manifest, null, 2) + "\n");
  return manifest;
}

function parseArgs(argv) {
  const o = { site: [], compatFlags: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === "--project") o.project = v();
    else if (a === "--runtime") o.runtime = v();
    else if (a === "--pylib") o.pylib = v();
    else if (a === "--site") o.site.push(v());
    else if (a === "--entry") o.entry = v();
    else if (a === "--out") o.out = v();
    else if (a === "--wasm") o.wasm = v();
    else if (a === "--compat-date") o.compatDate = v();
    else if (a === "--compat-flag") o.compatFlags.push(v());
    else if (a === "--minify") o.minify = true;
    else if (a === "--driver") o.driver = v();
    else if (a === "--stdlib") o.stdlib = v();
    else if (a === "--stdlib-include") (o.stdlibInclude ??= []).push(...v().split(",").filter(Boolean));
    else if (a === "--choose-driver") o.chooseDriver = true;
    else if (a === "--stdlib-assets") o.stdlibAssets = true;
    else if (a === "--split-stdlib") o.splitStdlib = v();
    else if (a === "--stdlib-keep") o.stdlibKeep = v();
    else if (a === "--max-memory-mib") o.maxMemoryBytes = Number(v()) * 1024 * 1024;
    else if (a === "-h" || a === "--help") {
      console.log("usage: bundle.mjs --project DIR --out DIR [--runtime DIR] [--pylib DIR] [--site DIR]... [--entry PATH] [--wasm FILE] [--compat-date D] [--compat-flag F]... [--minify] [--driver auto|jspi|asyncify] [--max-memory-mib N] [--stdlib auto|full] [--stdlib-include MOD[,MOD]]... [--stdlib-assets]\n" +
        "       bundle.mjs --split-stdlib DIR [--stdlib-keep init|start] [--runtime DIR]   (the split stdlib a snapshot of a --stdlib-assets bundle is made with)\n" +
        "       bundle.mjs --choose-driver [--runtime DIR] [--driver D] [--site DIR]...   (prints {driver, wasm, reason}: which runtime file to snapshot)");
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  if (!o.chooseDriver && !o.splitStdlib && (!o.project || !o.out)) throw new Error("--project and --out are required");
  return o;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    const args = parseArgs(process.argv.slice(2));
    if (args.splitStdlib) {
      console.log(JSON.stringify(writeSplitStdlib(resolve(args.runtime ?? defaultRuntimeDir()), args.stdlibKeep ?? "init", resolve(args.splitStdlib))));
      process.exit(0);
    }
    if (args.chooseDriver) {
      const runtimeDir = resolve(args.runtime ?? defaultRuntimeDir());
      const { driver, reason } = chooseDriver(args.driver ?? "auto", findSideModules(args.site, runtimeDynloadDir(runtimeDir)), runtimeDir);
      console.log(JSON.stringify({ driver, wasm: DRIVER_WASM[driver], reason }));
      process.exit(0);
    }
    const m = await bundle(args);
    for (const mod of m.modules) console.log(`${mod.name.padEnd(14)} ${mod.type.padEnd(14)} ${String(mod.size).padStart(10)} B  gzip ${String(mod.gzip_size).padStart(9)} B  ${mod.sha256.slice(0, 16)}`);
    console.log(`total ${m.total_size} B, gzip ${m.total_gzip_size} B; entry ${m.app.entry}`);
  } catch (e) {
    console.error(`bundle: ${e.message}`);
    process.exit(1);
  }
}
