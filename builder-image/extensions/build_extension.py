#!/usr/bin/env python3
"""Build a PyMode C-extension recipe (recipes/<name>.json) into wasm side modules.

    build_extension.py RECIPE.json --runtime-dir DIR --out DIR [--zig ZIG] [--soabi TAG] [--work-dir DIR]

Steps (issue #7, docs/extensions.md):
  1. validate the recipe against recipes/schema.json; a bad recipe is refused naming the field;
  2. fetch the source archive (PyPI sdist by file name from the project's simple index, or a URL),
     verify its sha256, unpack it (a `path` source is used in place);
  3. compile every module with `zig cc -target wasm32-wasi -fPIC` against the runtime's
     include/python3.13 (the headers and pyconfig.h python.wasm was built with), and link it with
     `zig wasm-ld --experimental-pic -shared` into a side module whose undefined symbols are
     imports resolved at load time against python.wasm's exports;
     A recipe with a `meson` section is built by its own meson.build instead: a cross build for
     wasm32-wasi (cross file: wasm_toolchain.py as compilers/archiver/pkg-config, the runtime as the
     target Python through a PEP 739 build-details.json, pinned Cython, ninja and meson), in which every
     py.extension_module() is linked as such a side module; `meson install` gives the package files.
     C++ modules get libc++/libc++abi pieces linked in statically (python.wasm has no libc++);
  4. keep the linked module as it is (the plain variant, for the JSPI driver), and asyncify a copy
     (`wasm-opt --asyncify --pass-arg=asyncify-relocatable`, binaryen 108 as for python.wasm): the Asyncify
     variant shares python.wasm's Asyncify state, so host calls may suspend with its frames on the stack
     (the fallback for hosts without JSPI; --no-asyncify leaves it out);
  5. append a `pymode.abi` custom section ({"soabi", "abi_version", "python", "name", "version", "module",
     "asyncify"}) to each variant, which the side-module linker checks before linking (ABI mismatch -> ImportError);
  6. write OUT/site/<package files> with each plain side module at <pkg>/<mod><EXT_SUFFIX> (where CPython's
     FileFinder looks for it) and its Asyncify variant beside it at <pkg>/<mod><EXT_SUFFIX>.asyncify.wasm
     (worker/scripts/bundle.mjs ships one of the two, matching the driver it chooses), and OUT/manifest.json
     (modules, init symbols, sha256s and sizes of both variants).
The result is kept in ~/.cache/pymode/extensions/<name>-<version>-<build key>; the key hashes the recipe,
its patches (and a local source tree), the runtime's manifest, the builder's files and the switches,
so an unchanged build is a copy (--no-cache builds anyway).

Exit status 2 for a refused recipe, 1 for a failed build; the message says which.
"""
from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
import zipfile
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SCHEMA = REPO / "recipes" / "schema.json"
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pymode"
# zig and binaryen as builder-image/runtime/build.sh unpacks them; the builder image has them baked in
# read-only (PYMODE_TOOLS_DIR), while tools derived at build time stay under the writable cache.
PREBUILT_TOOLS = Path(os.environ.get("PYMODE_TOOLS_DIR") or CACHE / "tools")
ZIG_VERSION = "0.15.2"
# LLVM 20's generic wasm CPU enables extended-const, which PIC data-segment offsets then use;
# node 20's V8 cannot decode it (workerd's can). Side modules leave it out.
TARGET_FLAGS = ["-target", "wasm32-wasi", "-fPIC", "-mno-extended-const", "-fvisibility=hidden"]
PYMODE_ABI_SECTION = "pymode.abi"
# Cython for `.pyx` module sources: the pure-Python wheel (runs on any builder Python), pinned.
CYTHON_VERSION = "3.3.1"
CYTHON_WHEEL = "cython-3.3.1-py3-none-any.whl"
CYTHON_SHA256 = "61abc7feedd20dac6c4ff7ab3a30e17136a067b242ab9253e2b4a6d9a72c2b61"
PY_SUFFIXES = (".py", ".pyi", ".typed")
# meson recipes (`"meson": {...}`): ninja and meson from PyPI, pinned like Cython. A recipe may name a
# meson.py inside its source instead (numpy's vendored meson has the `features` module numpy needs).
NINJA_VERSION = "1.13.0"
NINJA_WHEEL = "ninja-1.13.0-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl"
NINJA_SHA256 = "fb46acf6b93b8dd0322adc3a4945452a4e774b75b91293bafcc7b7f8e6517dfa"
MESON_VERSION = "1.12.1"
MESON_WHEEL = "meson-1.12.1-py3-none-any.whl"
MESON_SHA256 = "930bc7542cbd9f57009e182fd014eba48cf1a0180a7b9006d2d32d8f168d8b02"
MESON_INSTALL_TAGS = ["runtime", "python-runtime"]
TOOLCHAIN = HERE / "wasm_toolchain.py"
sys.path.insert(0, str(HERE))
from wasm_toolchain import SIDE_MODULE_LINK_FLAGS  # noqa: E402  (the one link line for both build kinds)
sys.path.insert(0, str(HERE.parent / "runtime"))
import wasminfo  # noqa: E402  (reads side modules; the one LEB128/section encoder)
# C++ support linked into C++ side modules (python.wasm has no libc++): the libc++/libc++abi sources zig
# ships, compiled -fPIC without exceptions, plus cxx/pymode_cxa.cpp (operator new/delete; a `throw` aborts
# with a message).
# Archive members are only pulled in for symbols a module leaves undefined.
CXX_SUPPORT_SOURCES = [
    "libcxx/src/hash.cpp", "libcxx/src/string.cpp", "libcxx/src/verbose_abort.cpp", "libcxx/src/memory.cpp",
    "libcxx/src/functional.cpp", "libcxx/src/stdexcept.cpp", "libcxxabi/src/stdlib_exception.cpp",
    "libcxxabi/src/stdlib_stdexcept.cpp", "libcxxabi/src/stdlib_typeinfo.cpp", "libcxxabi/src/private_typeinfo.cpp",
    "libcxxabi/src/cxa_virtual.cpp", "libcxxabi/src/abort_message.cpp",
]
CXX_SUPPORT_FLAGS = ["-O2", "-fno-exceptions", "-std=c++23", "-D_LIBCPP_BUILDING_LIBRARY", "-DLIBCXX_BUILDING_LIBCXXABI",
                     "-D_LIBCXXABI_BUILDING_LIBRARY"]
BINARYEN_DIR = PREBUILT_TOOLS / "binaryen-108-1"  # unpacked by builder-image/runtime/build.sh
# The Asyncify variant of a side module is asyncified like python.wasm, in relocatable mode: it imports
# python.wasm's Asyncify state (env.__asyncify_state/__asyncify_data), so a host call may suspend with its
# frames on the stack. Every import and indirect call may unwind (the binaryen default). The plain variant
# (the linked module as is) needs none of this under JSPI, which suspends the whole wasm stack.
WASM_OPT_ARGS = ["--enable-bulk-memory", "--enable-mutable-globals", "--enable-nontrapping-float-to-int",
                 "--enable-sign-ext", "--enable-multivalue", "--asyncify", "--pass-arg=asyncify-relocatable",
                 "-O2", "--strip-debug"]
# Where the Asyncify variant of the side module at <pkg>/<mod><EXT_SUFFIX> goes: beside it, under a name
# CPython's FileFinder does not take for a module; worker/scripts/bundle.mjs (ASYNCIFY_VARIANT_SUFFIX)
# recognises it.
ASYNCIFY_VARIANT_SUFFIX = ".asyncify.wasm"


class RecipeError(Exception):
    """The recipe is invalid: the message names the field."""


class BuildError(Exception):
    pass


# ---- validation: the subset of JSON Schema that recipes/schema.json uses ------------------------

def _type_ok(value, t: str) -> bool:
    return {
        "object": isinstance(value, dict),
        "array": isinstance(value, list),
        "string": isinstance(value, str),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
    }[t]


def validate(value, schema: dict, where: str) -> None:
    """Raise RecipeError naming the first field that does not satisfy `schema`."""
    name = where or "(recipe)"
    if "type" in schema and not _type_ok(value, schema["type"]):
        raise RecipeError(f"{name}: expected {schema['type']}, got {type(value).__name__} {value!r}")
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            raise RecipeError(f"{name}: must not be empty")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            raise RecipeError(f"{name}: {value!r} does not match {schema['pattern']}")
    if isinstance(value, int) and "minimum" in schema and value < schema["minimum"]:
        raise RecipeError(f"{name}: {value} is below {schema['minimum']}")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            raise RecipeError(f"{name}: needs at least {schema['minItems']} item(s)")
        for i, item in enumerate(value):
            validate(item, schema.get("items", {}), f"{where}[{i}]")
    if isinstance(value, dict):
        for req in schema.get("required", []):
            if req not in value:
                raise RecipeError(f"{where + '.' if where else ''}{req}: required field missing")
        if len(value) < schema.get("minProperties", 0):
            raise RecipeError(f"{name}: needs at least {schema['minProperties']} entr(y/ies)")
        props = schema.get("properties", {})
        patterns = schema.get("patternProperties", {})
        for k, v in value.items():
            sub = f"{where}.{k}" if where else k
            if k in props:
                validate(v, props[k], sub)
                continue
            matched = [s for p, s in patterns.items() if re.search(p, k)]
            if matched:
                for s in matched:
                    validate(v, s, sub)
            elif schema.get("additionalProperties", True) is False:
                raise RecipeError(f"{sub}: unknown field" + (f" (key must match {', '.join(patterns)})" if patterns else ""))
        if "oneOf" in schema:
            ok = [alt for alt in schema["oneOf"] if all(r in value for r in alt.get("required", []))]
            if len(ok) != 1:
                opts = " | ".join("+".join(alt["required"]) for alt in schema["oneOf"])
                raise RecipeError(f"{name}: give exactly one of: {opts}")


def load_recipe(path: Path) -> dict:
    try:
        recipe = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise RecipeError(f"{path}: not readable JSON: {e}") from e
    validate(recipe, json.loads(SCHEMA.read_text()), "")
    # Checks JSON Schema cannot express.
    if path.stem != recipe["name"] and path.parent.resolve() == (REPO / "recipes").resolve():
        raise RecipeError(f"name: {recipe['name']!r} does not match the file name {path.name}")
    if not recipe["modules"] and not recipe.get("packages"):
        raise RecipeError("modules: empty, and no packages either: the recipe would build nothing")
    for mod, spec in recipe["modules"].items():
        want = "PyInit_" + mod.rsplit(".", 1)[-1]
        if spec["init"] != want:
            raise RecipeError(f"modules.{mod}.init: CPython looks for {want}, not {spec['init']}")
        if "meson" in recipe and ("sources" in spec or "cflags" in spec):
            raise RecipeError(f"modules.{mod}.{'sources' if 'sources' in spec else 'cflags'}: meson builds this module "
                              "(its meson.build names the sources); leave it out")
        if "meson" not in recipe and "sources" not in spec:
            raise RecipeError(f"modules.{mod}.sources: required field missing")
    if "meson" in recipe:
        for field in ("sources", "includes", "cflags"):
            if field in recipe:
                raise RecipeError(f"{field}: not used by a meson recipe (meson.options configures the build)")
    return recipe


# ---- sources ------------------------------------------------------------------------------------

def sha256_file(p: Path) -> str:
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


def pypi_url(project: str, filename: str) -> str:
    req = urllib.request.Request(f"https://pypi.org/simple/{project}/",
                                 headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        index = json.load(r)
    for f in index.get("files", []):
        if f["filename"] == filename:
            return f["url"]
    raise BuildError(f"source.filename: {filename} is not in PyPI's index of {project}")


def download(project: str, filename: str, sha256: str, url: str | None = None, field: str = "source") -> Path:
    dl = CACHE / "downloads"
    dl.mkdir(parents=True, exist_ok=True)
    target = dl / filename
    if target.is_file() and sha256_file(target) == sha256:
        return target
    url = url or pypi_url(project, filename)
    tmp = target.with_suffix(target.suffix + ".part")
    with urllib.request.urlopen(url, timeout=120) as r, open(tmp, "wb") as f:
        shutil.copyfileobj(r, f)
    got = sha256_file(tmp)
    if got != sha256:
        tmp.unlink()
        raise BuildError(f"{field}.sha256: {filename} from {url} has sha256 {got}, pinned {sha256}")
    tmp.replace(target)
    return target


def wheel_dir(project: str, version: str, wheel: str, sha256: str) -> Path:
    """A pinned wheel from PyPI, unpacked once into the cache (no pip, no venv)."""
    d = CACHE / "tools" / f"{project}-{version}"
    if (d / ".sha256").is_file() and (d / ".sha256").read_text().strip() == sha256:
        return d
    whl = download(project, wheel, sha256, field=project)
    tmp = d.with_name(d.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    with zipfile.ZipFile(whl) as z:
        z.extractall(tmp)
    (tmp / ".sha256").write_text(sha256 + "\n")
    shutil.rmtree(d, ignore_errors=True)
    tmp.rename(d)
    return d


def cython_dir() -> Path:
    return wheel_dir("cython", CYTHON_VERSION, CYTHON_WHEEL, CYTHON_SHA256)


def ninja_bin() -> Path:
    d = wheel_dir("ninja", NINJA_VERSION, NINJA_WHEEL, NINJA_SHA256)
    exe = d / f"ninja-{NINJA_VERSION}.data" / "scripts" / "ninja"
    exe.chmod(0o755)
    return exe


def meson_cmd(recipe: dict, src: Path) -> tuple[list[str], str]:
    """How to run meson: the recipe's own meson.py (in its source) or the pinned PyPI meson."""
    own = recipe["meson"].get("meson")
    if own:
        script = src / own
        if not script.is_file():
            raise BuildError(f"meson.meson: {own} is not a file in the source")
        return [sys.executable, str(script)], f"{own} (from the source)"
    d = wheel_dir("meson", MESON_VERSION, MESON_WHEEL, MESON_SHA256)
    launcher = d / "meson.py"
    if not launcher.is_file():
        launcher.write_text("import sys\nfrom pathlib import Path\nsys.path.insert(0, str(Path(__file__).resolve().parent))\n"
                            "from mesonbuild import mesonmain\nsys.exit(mesonmain.main())\n")
    return [sys.executable, str(launcher)], f"meson {MESON_VERSION} (PyPI)"


def cxx_support(zig: Path) -> Path:
    """libpymode_cxx.a: the C++ runtime pieces C++ side modules may need, built once per zig and source set."""
    zlib = zig.parent / "lib"
    cxa = HERE / "cxx" / "pymode_cxa.cpp"
    key = hashlib.sha256("\n".join([ZIG_VERSION, *CXX_SUPPORT_SOURCES, *CXX_SUPPORT_FLAGS, *TARGET_FLAGS,
                                     cxa.read_text()]).encode()).hexdigest()[:16]
    d = CACHE / "tools" / f"cxx-support-{key}"
    lib = d / "libpymode_cxx.a"
    if lib.is_file():
        return lib
    tmp = d.with_name(d.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    log: list[str] = []
    objs = []
    for rel in [*CXX_SUPPORT_SOURCES, str(cxa)]:
        srcf = zlib / rel if not os.path.isabs(rel) else Path(rel)
        o = tmp / (Path(rel).stem + ".o")
        run([str(zig), "c++", *TARGET_FLAGS, *CXX_SUPPORT_FLAGS, f"-I{zlib}/libcxx/src", f"-I{zlib}/libcxxabi/include",
             f"-I{zlib}/libcxxabi/src", f"-ffile-prefix-map={zlib}=/zig-{ZIG_VERSION}/lib", f"-ffile-prefix-map={HERE}=/pymode",
             "-c", str(srcf), "-o", str(o)], log)
        objs.append(str(o))
    run([str(zig), "ar", "rcs", str(tmp / lib.name), *objs], log)
    (tmp / "build.log").write_text("\n".join(log) + "\n")
    shutil.rmtree(d, ignore_errors=True)
    tmp.rename(d)
    return lib


def fetch_source(recipe: dict, recipe_path: Path, work: Path) -> tuple[Path, str | None]:
    src = recipe["source"]
    if "path" in src:
        d = (recipe_path.parent / src["path"]).resolve()
        if not d.is_dir():
            raise BuildError(f"source.path: {d} is not a directory")
        return d, None
    archive = download(src.get("pypi", ""), src["filename"], src["sha256"], src.get("url"))
    out = work / "src"
    unpack(archive, out, src.get("strip", 1))
    for i, extra in enumerate(recipe.get("extra_sources", [])):
        a = download("", extra["filename"], extra["sha256"], extra["url"], field=f"extra_sources[{i}]")
        unpack(a, out / extra["dest"], extra.get("strip", 1))
    return out, src["sha256"]


def unpack(archive: Path, out: Path, strip: int) -> None:
    out.mkdir(parents=True, exist_ok=True)
    if archive.name.endswith(".zip"):
        with zipfile.ZipFile(archive) as z:
            members = [(m, m.filename) for m in z.infolist()]
            for m, name in members:
                parts = Path(name).parts[strip:]
                if not parts or m.is_dir():
                    continue
                target = out.joinpath(*parts)
                if ".." in parts:
                    raise BuildError(f"unsafe path {name} in {archive.name}")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(z.read(m))
    else:
        with tarfile.open(archive) as t:
            for m in t.getmembers():
                parts = Path(m.name).parts[strip:]
                if not parts or not m.isfile():
                    continue
                if ".." in parts or Path(m.name).is_absolute():
                    raise BuildError(f"unsafe path {m.name} in {archive.name}")
                target = out.joinpath(*parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                with t.extractfile(m) as f:
                    target.write_bytes(f.read())


# ---- function-pointer casts that trap in wasm ---------------------------------------------------------

# How many parameters CPython passes through each kind of cast callback.
_METH = r"\(PyCFunction\)\s*(?:\(\s*void\s*\(\s*\*\s*\)\s*\(\s*void\s*\)\s*\))?\s*\(?\s*(\w+)\s*\)?\s*,\s*"
_CAST_ARITY = [
    (re.compile(_METH + r"METH_NOARGS\b"), "METH_NOARGS method", 2),
    (re.compile(_METH + r"METH_O\b"), "METH_O method", 2),
    (re.compile(_METH + r"METH_VARARGS\s*\|\s*METH_KEYWORDS\b"), "METH_VARARGS|METH_KEYWORDS method", 3),
    (re.compile(_METH + r"METH_KEYWORDS\s*\|\s*METH_VARARGS\b"), "METH_VARARGS|METH_KEYWORDS method", 3),
    (re.compile(_METH + r"METH_VARARGS\b(?!\s*\|\s*METH_KEYWORDS)"), "METH_VARARGS method", 2),
    (re.compile(r"\(getter\)\s*\(?\s*(\w+)\b"), "getter", 2),
    (re.compile(r"\(setter\)\s*\(?\s*(\w+)\b"), "setter", 3),
]


def cast_signature_warnings(src: Path, sources: list[str] | None = None) -> list[str]:
    """C callbacks defined with fewer parameters than CPython calls them with through a cast.

    Native ABIs tolerate calling `f(self)` through a `(self, arg)` pointer; wasm's call_indirect checks
    the signature and traps. This is a textual check of the unpacked (patched) sources: it finds the
    common idioms, not every cast.
    """
    files = [p for p in sorted(src.rglob("*")) if p.is_file() and (p.suffix == ".h" or
             (p.suffix == ".c" and (sources is None or p.relative_to(src).as_posix() in sources)))]
    # .c files the compiled sources #include (e.g. python-zstandard's backend_c.c includes them all)
    todo = [p for p in files if p.suffix == ".c"]
    while todo:
        c = todo.pop()
        for inc in re.findall(r'^\s*#\s*include\s*["<]([^">]+\.c)[">]', c.read_text(errors="replace"), re.M):
            for cand in [c.parent / inc, *(d / inc for d in {p.parent for p in files})]:
                if cand.is_file() and cand not in files:
                    files.append(cand)
                    todo.append(cand)
                    break
    text = "\n".join(p.read_text(errors="replace") for p in files)
    out = []
    for pattern, kind, arity in _CAST_ARITY:
        for name in sorted(set(pattern.findall(text))):
            # parameters may hold one level of parentheses: NPY_UNUSED(x), Py_UNUSED(x)
            m = re.search(r"\b" + re.escape(name) + r"\s*\(((?:[^()]|\([^()]*\))*)\)\s*\{", text)
            if not m:
                continue
            params = [x for x in m.group(1).split(",") if x.strip() and x.strip() != "void"]
            if len(params) < arity:
                out.append(f"{kind} {name}({m.group(1).strip()}) takes {len(params)} parameter(s), CPython passes {arity}: "
                           "calling it traps in wasm (fix with a recipe patch)")
    return out


# ---- compile and link ---------------------------------------------------------------------------

def wasm_exports(data: bytes) -> set[str]:
    return {e["name"] for e in wasminfo.parse(data).exports}


def asyncify_side_module(wasm: Path, out: Path, log: list[str]) -> bytes:
    """The Asyncify variant of the linked side module `wasm` (wasm-opt, WASM_OPT_ARGS), written to `out`."""
    wasm_opt = BINARYEN_DIR / "usr" / "bin" / "wasm-opt"
    if not wasm_opt.is_file():
        raise BuildError(f"{wasm_opt} not found (builder-image/runtime/build.sh unpacks binaryen 108 there)")
    run_env = {"LD_LIBRARY_PATH": str(BINARYEN_DIR / "usr" / "lib" / "x86_64-linux-gnu")}
    run([str(wasm_opt), str(wasm), *WASM_OPT_ARGS, "-o", str(out)], log, run_env)
    return out.read_bytes()


def run(cmd: list[str], log: list[str], extra_env: dict | None = None) -> None:
    log.append(" ".join(cmd))
    env = {**os.environ, "ZIG_GLOBAL_CACHE_DIR": str(CACHE / "zig-cache"), "ZIG_LOCAL_CACHE_DIR": str(CACHE / "zig-cache"),
           **(extra_env or {})}
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if p.stdout.strip() or p.stderr.strip():
        log.append((p.stdout + p.stderr).rstrip())
    if p.returncode != 0:
        raise BuildError(f"command failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr[-4000:]}")


def _ini(v) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(_ini(x) for x in v) + "]"
    if isinstance(v, bool):
        return "true" if v else "false"
    return "'" + str(v).replace("\\", "\\\\").replace("'", "\\'") + "'"


def build_details(rt: dict, ext: dict, include: Path) -> dict:
    """PEP 739 build-details.json of the runtime, for meson's python.build_config (the target's Python)."""
    major, minor, micro = (int(x) for x in rt["python"].split(".")[:3])
    vi = {"major": major, "minor": minor, "micro": micro, "releaselevel": "final", "serial": 0}
    return {"schema_version": "1.0", "base_prefix": "/", "platform": "wasi-wasm32",
            "language": {"version": f"{major}.{minor}", "version_info": vi},
            "implementation": {"name": "cpython", "version": vi, "hexversion": (major << 24) | (minor << 16) | (micro << 8) | 0xF0,
                               "cache_tag": f"cpython-{major}{minor}"},
            "abi": {"flags": [], "extension_suffix": ext["ext_suffix"], "stable_abi_suffix": ".abi3.so"},
            "suffixes": {"source": [".py"], "bytecode": [".pyc"], "extensions": [ext["ext_suffix"], ".abi3.so", ".so"]},
            "libpython": {"link_extensions": False},
            "c_api": {"headers": str(include)}}


def meson_build(recipe: dict, src: Path, work: Path, include: Path, zig: Path, rt: dict, ext: dict,
                log: list[str]) -> tuple[dict[str, Path], Path, dict]:
    """Cross-build a meson project for wasm32-wasi: every py.extension_module becomes a side module.

    meson sees wasm_toolchain.py as its C/C++ compiler, archiver and pkg-config (cross file), the pinned
    Cython (native file) and the runtime as its target Python (PEP 739 build-details.json). Returns the
    raw side module of every recipe module, the install tree's site directory and toolchain facts.
    """
    spec = recipe["meson"]
    meson, meson_desc = meson_cmd(recipe, src)
    ninja = ninja_bin()
    build_dir, stage = work / "meson-build", work / "meson-stage"
    tag = f"/{recipe['name']}-{recipe['version']}"
    tc = [sys.executable, str(TOOLCHAIN), "--zig", str(zig), "--prefix-map", f"{src}={tag}",
          "--prefix-map", f"{work}=/build", "--prefix-map", f"{include}=/pymode-runtime/include/python3.13"]
    details = work / "build-details.json"
    details.write_text(json.dumps(build_details(rt, ext, include), indent=1))
    pyver = ".".join(rt["python"].split(".")[:2])
    props = {"needs_exe_wrapper": True, **spec.get("properties", {})}
    cross = ["[binaries]",
             f"c = {_ini(tc + ['cc'])}",
             f"cpp = {_ini(tc + ['c++'])}",
             f"ar = {_ini(tc + ['ar'])}",
             f"ranlib = {_ini(tc + ['ranlib'])}",
             f"pkg-config = {_ini([sys.executable, str(TOOLCHAIN), '--python-include', str(include), '--python-version', pyver, 'pkg-config'])}",
             "cmake = 'false'",
             "", "[host_machine]", "system = 'wasi'", "cpu_family = 'wasm32'", "cpu = 'wasm32'", "endian = 'little'",
             "", "[properties]", *(f"{k} = {_ini(v)}" for k, v in props.items()),
             # link-only, so the compile commands do not depend on the archive's cache key
             "", "[built-in options]", f"cpp_link_args = {_ini([str(cxx_support(zig))])}", ""]
    (work / "cross.ini").write_text("\n".join(cross))
    native = ["[binaries]", f"cython = {_ini([sys.executable, str(TOOLCHAIN), '--cython-dir', str(cython_dir()), 'cython'])}",
              f"ninja = {_ini(str(ninja))}", ""]
    (work / "native.ini").write_text("\n".join(native))
    env = {"NINJA": str(ninja), "PATH": f"{ninja.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    run([*meson, "setup", str(build_dir), str(src), "--cross-file", str(work / "cross.ini"), "--native-file", str(work / "native.ini"),
         "--prefix=/", "--buildtype=release", f"-Dpython.build_config={details}", "-Dpython.purelibdir=site",
         "-Dpython.platlibdir=site", *spec.get("options", [])], log, env)
    run([str(ninja), "-C", str(build_dir), f"-j{os.cpu_count() or 2}"], log, env)
    run([*meson, "install", "-C", str(build_dir), "--no-rebuild", "--destdir", str(stage),
         "--tags", ",".join(spec.get("install_tags", MESON_INSTALL_TAGS))], log, env)
    site = stage / "site"
    built = {p.relative_to(site).as_posix()[: -len(ext["ext_suffix"])].replace("/", "."): p
             for p in site.rglob("*" + ext["ext_suffix"])} if site.is_dir() else {}
    missing = sorted(set(recipe["modules"]) - set(built))
    if missing:
        raise BuildError(f"modules: meson built no {', '.join(missing)} (it built: {', '.join(sorted(built)) or 'nothing'})")
    # Installed text files may record the build (numpy's __config__.py holds the compiler command lines):
    # the build machine's paths become the same placeholders the compile's -ffile-prefix-map uses.
    paths = {str(src): tag, str(work): "/build",
             str(include): "/pymode-runtime/include/python3.13", str(CACHE / "tools"): "/pymode-tools",
             str(PREBUILT_TOOLS): "/pymode-tools",
             str(TOOLCHAIN): "/pymode/wasm_toolchain.py", sys.executable: "python3"}
    for f in sorted(site.rglob("*")) if site.is_dir() else []:
        if f.is_file() and f.name.endswith(PY_SUFFIXES):
            text = f.read_text(errors="surrogateescape")
            new = text
            for old_path in sorted(paths, key=len, reverse=True):
                new = new.replace(old_path, paths[old_path])
            if new != text:
                f.write_text(new, errors="surrogateescape")
                log.append(f"build paths replaced in {f.relative_to(site)}")
    facts = {"meson": meson_desc, "ninja": NINJA_VERSION, "options": spec.get("options", []),
             "not_shipped": sorted(set(built) - set(recipe["modules"]))}
    return {m: built[m] for m in recipe["modules"]}, site, facts


def build_key(recipe_path: Path, recipe: dict, runtime_dir: Path, soabi: str | None, asyncify: bool) -> str:
    """Everything a build's output depends on: the recipe, its patches, a local source tree, the runtime
    (its manifest names every output file's sha256), the builder's own files and the soabi/asyncify switches
    (the variants the output carries)."""
    h = hashlib.sha256()

    def add(label: str, data: bytes) -> None:
        h.update(f"{label}\0{len(data)}\0".encode() + data)

    add("recipe", recipe_path.read_bytes())
    for rel in recipe.get("patches", []):
        p = (recipe_path.parent / rel).resolve()
        add("patch " + rel, p.read_bytes() if p.is_file() else b"")
    if "path" in recipe["source"]:
        d = (recipe_path.parent / recipe["source"]["path"]).resolve()
        for f in sorted(d.rglob("*")):
            if f.is_file() and "__pycache__" not in f.parts:
                add("src " + f.relative_to(d).as_posix(), f.read_bytes())
    add("runtime", (runtime_dir / "manifest.json").read_bytes())
    for f in [Path(__file__).resolve(), TOOLCHAIN, HERE / "cxx" / "pymode_cxa.cpp", HERE.parent / "runtime" / "wasminfo.py"]:
        add("builder " + f.name, f.read_bytes())
    add("switches", json.dumps([soabi, ["plain", "asyncify"] if asyncify else ["plain"]]).encode())
    return h.hexdigest()[:16]


def build(recipe_path: Path, runtime_dir: Path, out: Path, zig: Path, soabi: str | None, asyncify: bool = True,
          work_dir: Path | None = None, use_cache: bool = True, keep_cache: bool = True) -> dict:
    """Build the recipe into `out`; a build with the same key is copied from ~/.cache/pymode/extensions
    (use_cache=False builds anyway; keep_cache=False does not store the result there)."""
    recipe = load_recipe(recipe_path)
    if not (runtime_dir / "manifest.json").is_file():
        raise BuildError(f"--runtime-dir: no manifest.json in {runtime_dir} (run builder-image/runtime/build.sh)")
    key = build_key(recipe_path, recipe, runtime_dir, soabi, asyncify)
    return build_through_cache("build_extension", recipe, key, out, use_cache and work_dir is None, keep_cache,
                               lambda: _build(recipe_path, recipe, runtime_dir, out, zig, soabi, asyncify, work_dir, key))


# ---- shared with build_rust_extension.py ---------------------------------------------------------------

def build_through_cache(program: str, recipe: dict, key: str, out: Path, use_cache: bool, keep_cache: bool,
                        make: Callable[[], dict]) -> dict:
    """A build with `key` copied from ~/.cache/pymode/extensions into `out` (use_cache), else `make()`'s,
    stored there afterwards (keep_cache). Returns the output's manifest."""
    cached = CACHE / "extensions" / f"{recipe['name']}-{recipe['version']}-{key}"
    if use_cache and (cached / "manifest.json").is_file():
        if out.exists():
            shutil.rmtree(out)
        shutil.copytree(cached, out)
        print(f"{program}: {recipe['name']} {recipe['version']}: cached build {key} ({cached})", file=sys.stderr)
        return json.loads((out / "manifest.json").read_text())
    manifest = make()
    if not keep_cache:
        return manifest
    tmp = cached.with_name(cached.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(out, tmp)
    shutil.rmtree(cached, ignore_errors=True)
    try:
        tmp.rename(cached)
    except OSError:  # a concurrent build of the same key got there first: same bytes
        shutil.rmtree(tmp, ignore_errors=True)
    return manifest


def runtime_extension_facts(runtime_dir: Path) -> tuple[dict, dict]:
    """The runtime's manifest and its `extensions` part (soabi, abi_version, ext_suffix); refused without it."""
    rt_manifest_path = runtime_dir / "manifest.json"
    if not rt_manifest_path.is_file():
        raise BuildError(f"--runtime-dir: no manifest.json in {runtime_dir} (run builder-image/runtime/build.sh)")
    rt = json.loads(rt_manifest_path.read_text())
    ext = rt.get("extensions")
    if not ext:
        raise BuildError(f"--runtime-dir: runtime {rt.get('key')} was built without side-module support (no `extensions` in its manifest)")
    return rt, ext


def fresh_site(out: Path) -> Path:
    """An empty `out` with its site/ directory, which the build fills."""
    if out.exists():
        shutil.rmtree(out)
    site = out / "site"
    site.mkdir(parents=True)
    return site


def work_directory(recipe: dict, work_dir: Path | None):
    """A context giving the build's scratch directory: `work_dir`, emptied and kept, or a temporary one."""
    if work_dir is None:
        return tempfile.TemporaryDirectory(prefix=f"pymode-ext-{recipe['name']}-")
    shutil.rmtree(work_dir, ignore_errors=True)
    work_dir.mkdir(parents=True)
    return contextlib.nullcontext(str(work_dir.resolve()))


def apply_patches(recipe: dict, recipe_path: Path, src: Path, log: list[str], local_source_copied: bool = False) -> list[dict]:
    """Apply the recipe's patches to `src` in order; returns [{file, sha256}]. A local `path` source is
    refused unless the caller copied it (`local_source_copied`), since patching would change the tree in place."""
    patches = []
    for i, rel in enumerate(recipe.get("patches", [])):
        patch = (recipe_path.parent / rel).resolve()
        if not patch.is_file():
            raise BuildError(f"patches[{i}]: {patch} not found")
        if "path" in recipe["source"] and not local_source_copied:
            raise BuildError(f"patches[{i}]: a local `path` source is used in place and is not patched")
        p = subprocess.run(["patch", "-p1", "--forward", "--batch", "-d", str(src), "-i", str(patch)],
                           capture_output=True, text=True)
        log.append(f"patch -p1 < {rel}\n{p.stdout}{p.stderr}".rstrip())
        if p.returncode != 0:
            raise BuildError(f"patches[{i}]: {rel} does not apply:\n{p.stdout}{p.stderr}")
        patches.append({"file": rel, "sha256": sha256_file(patch)})
    return patches


def side_module_variants(mod: str, wasm: Path, ext: dict, work: Path, asyncify: bool, log: list[str]) -> dict:
    """{variant: (path in the site, bytes, Asyncify mode)}: the plain variant at FileFinder's path and, with
    `asyncify`, the Asyncify variant (a post-link step) beside it."""
    parts = mod.split(".")
    rel_out = Path(*parts[:-1], parts[-1] + ext["ext_suffix"])
    variants = {"plain": (rel_out, wasm.read_bytes(), None)}
    if asyncify:
        variants["asyncify"] = (rel_out.with_name(rel_out.name + ASYNCIFY_VARIANT_SUFFIX),
                                asyncify_side_module(wasm, work / (mod + ".async.wasm"), log), "relocatable")
    return variants


def write_side_module(site: Path, recipe: dict, mod: str, spec: dict, variants: dict, rt: dict, ext: dict,
                      soabi: str | None) -> dict:
    """Check each variant exports the init function, tag it with the `pymode.abi` section and write it into the
    site; returns the module's manifest entry."""
    written = {}
    for variant, (rel, data, asyncify_mode) in variants.items():
        if spec["init"] not in wasm_exports(data):
            raise BuildError(f"modules.{mod}: the {variant} side module does not export {spec['init']}")
        abi = {"soabi": soabi or ext["soabi"], "abi_version": ext["abi_version"], "python": rt["python"],
               "name": recipe["name"], "version": recipe["version"], "module": mod, "asyncify": asyncify_mode}
        data += wasminfo.custom_section(PYMODE_ABI_SECTION, json.dumps(abi, sort_keys=True).encode())
        target = site / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written[variant] = {"file": rel.as_posix(), "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    return {"init": spec["init"], **written["plain"], "asyncify": written.get("asyncify")}


def copy_python_files(src_dir: Path, target_dir: Path) -> None:
    """The package's Python files (PY_SUFFIXES) below `src_dir`, copied to the same places below `target_dir`."""
    for f in sorted(src_dir.rglob("*")):
        if f.is_file() and f.name.endswith(PY_SUFFIXES) and "__pycache__" not in f.parts:
            target = target_dir / f.relative_to(src_dir)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, target)


def write_manifest(out: Path, site: Path, recipe: dict, recipe_path: Path, key: str, rt: dict, ext: dict,
                   soabi: str | None, log: list[str], t0: float, **facts) -> dict:
    """OUT/manifest.json (the build's facts, the site's files and their sha256s) and OUT/build.log; `facts` are
    the builder's own fields (source_sha256, patches, warnings, toolchain, modules)."""
    files = {p.relative_to(site).as_posix(): {"sha256": sha256_file(p), "size": p.stat().st_size}
             for p in sorted(site.rglob("*")) if p.is_file()}
    manifest = {
        "kind": "pymode-extension",
        "name": recipe["name"],
        "version": recipe["version"],
        "recipe_sha256": hashlib.sha256(recipe_path.read_bytes()).hexdigest(),
        "build_key": key,
        "runtime": {"key": rt.get("key"), "python": rt["python"], "soabi": soabi or ext["soabi"]},
        "depends": recipe.get("depends", []),
        "files": files,
        "test": recipe.get("test"),
        **facts,
        "build_seconds": round(time.monotonic() - t0, 2),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    (out / "build.log").write_text("\n".join(log) + "\n")
    return manifest


def add_common_arguments(ap: argparse.ArgumentParser, zig_default: Path) -> None:
    """The arguments both builders take: the recipe, where the runtime and the output are, zig, --soabi and the switches."""
    ap.add_argument("recipe", type=Path)
    ap.add_argument("--runtime-dir", type=Path, default=CACHE / "runtime" / "current")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--zig", type=Path, default=zig_default)


def run_cli(program: str, recipe: Path, out: Path, build_it: Callable[[], dict], timed: bool = False) -> int:
    """Build, report each module on stderr and print the output dir; exit status 2 for a refused recipe, 1 for a
    failed build (the message says which)."""
    try:
        m = build_it()
    except RecipeError as e:
        print(f"{program}: refused recipe {recipe}: {e}", file=sys.stderr)
        return 2
    except BuildError as e:
        print(f"{program}: {recipe}: {e}", file=sys.stderr)
        return 1
    for mod, spec in m["modules"].items():
        variant = spec.get("asyncify")
        also = f"; Asyncify variant {variant['size']} bytes" if variant else ""
        took = f" in {m['build_seconds']} s" if timed else ""
        print(f"{mod}: {spec['file']} ({spec['size']} bytes{also}, {spec['init']}){took}", file=sys.stderr)
    print(out)
    return 0


def _build(recipe_path: Path, recipe: dict, runtime_dir: Path, out: Path, zig: Path, soabi: str | None, asyncify: bool,
           work_dir: Path | None, key: str) -> dict:
    t0 = time.monotonic()
    rt, ext = runtime_extension_facts(runtime_dir)
    include = runtime_dir / "include" / "python3.13"
    if not (include / "Python.h").is_file():
        raise BuildError(f"--runtime-dir: {include}/Python.h missing")
    if not zig.is_file():
        raise BuildError(f"--zig: {zig} not found (builder-image/runtime/build.sh unpacks zig {ZIG_VERSION} there)")

    site = fresh_site(out)
    log: list[str] = []
    with work_directory(recipe, work_dir) as tmp:
        work = Path(tmp)
        src, src_sha = fetch_source(recipe, recipe_path, work)
        patches = apply_patches(recipe, recipe_path, src, log)
        compiled = [*recipe.get("sources", []), *(c for spec in recipe["modules"].values() for c in spec.get("sources", []))]
        meson_built, meson_site, meson_facts = {}, None, None
        if "meson" in recipe:
            meson_built, meson_site, meson_facts = meson_build(recipe, src, work, include, zig, rt, ext, log)
            # every C file of the tree and the C meson generated (templates, code generators)
            warnings = cast_signature_warnings(src) + cast_signature_warnings(work / "meson-build")
        else:
            warnings = cast_signature_warnings(src, compiled)
        for w in warnings:
            print(f"build_extension: warning: {recipe['name']}: {w}", file=sys.stderr)
        includes = [f"-I{include}"] + [f"-I{src / i}" for i in recipe.get("includes", [])]
        cflags = recipe.get("cflags", [])
        objs_common: list[Path] = []
        cxx_objs: set[Path] = set()
        objdir = work / "obj"
        objdir.mkdir()

        def cythonize(rel: str, module: str) -> Path:
            pyx = src / rel
            # `# distutils: language = c++` in the first lines selects C++ (Cython --cplus).
            cplus = bool(re.search(r"^#\s*distutils:\s*language\s*=\s*c\+\+", "\n".join(pyx.read_text().splitlines()[:20]), re.M))
            c = pyx.with_suffix(".cpp" if cplus else ".c")
            env = {**os.environ, "PYTHONPATH": str(cython_dir())}
            cmd = [sys.executable, "-m", "cython", "-3", *(["--cplus"] if cplus else []), "--module-name", module,
                   "-I", str(src), "-o", str(c), str(pyx)]
            log.append(" ".join(cmd))
            p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=src)
            if p.returncode != 0:
                raise BuildError(f"cython {rel} failed:\n{p.stdout}{p.stderr[-4000:]}")
            return c

        def compile_c(rel: str, extra: list[str], module: str | None = None) -> Path:
            c = src / rel
            if not c.is_file():
                raise BuildError(f"{rel}: no such source file in {recipe['name']} {recipe['version']}")
            if c.suffix == ".pyx":
                if module is None:
                    raise BuildError(f"sources: {rel}: .pyx files belong to a module's sources")
                c = cythonize(rel, module)
            o = objdir / (re.sub(r"[^A-Za-z0-9_.]", "_", rel) + ".o")
            # C++ (Cython --cplus): no exceptions or RTTI, so nothing needs libc++abi at run time.
            # -Drestrict=__restrict: CPython's WASI pthread_stubs.h uses the C99 keyword.
            driver = ["c++", "-fno-exceptions", "-fno-rtti", "-Drestrict=__restrict"] if c.suffix in (".cpp", ".cc", ".cxx") else ["cc"]
            if driver[0] == "c++":
                cxx_objs.add(o)
            run([str(zig), *driver, *TARGET_FLAGS, *includes, *cflags, *extra,
                 f"-ffile-prefix-map={src}=/{recipe['name']}-{recipe['version']}", "-c", str(c), "-o", str(o)], log)
            return o

        for rel in recipe.get("sources", []):
            objs_common.append(compile_c(rel, []))
        modules = {}
        for mod, spec in recipe["modules"].items():
            if mod in meson_built:
                wasm = meson_built[mod]
            else:
                objs = [compile_c(rel, spec.get("cflags", []), mod) for rel in spec["sources"]]
                wasm = work / (mod + ".wasm")
                # C++ objects: the C++ support archive resolves what they need of libc++/libc++abi
                cxx = [str(cxx_support(zig))] if cxx_objs & {*objs, *objs_common} else []
                run([str(zig), "wasm-ld", *SIDE_MODULE_LINK_FLAGS, *map(str, objs + objs_common), *cxx, "-o", str(wasm)], log)
            variants = side_module_variants(mod, wasm, ext, work, asyncify, log)
            modules[mod] = write_side_module(site, recipe, mod, spec, variants, rt, ext, soabi)

        for pkg, rel in recipe.get("packages", {}).items():
            d = (meson_site or src) / rel
            if not d.is_dir():
                raise BuildError(f"packages.{pkg}: {rel} is not a directory in the " + ("meson install tree" if meson_site else "source"))
            copy_python_files(d, site / pkg)

    toolchain = {"zig": ZIG_VERSION, "flags": TARGET_FLAGS, "wasm_opt": ["binaryen 108", *WASM_OPT_ARGS] if asyncify else None,
                 "cython": CYTHON_VERSION if meson_facts or any(c.endswith(".pyx") for c in compiled) else None,
                 "meson": meson_facts}
    return write_manifest(out, site, recipe, recipe_path, key, rt, ext, soabi, log, t0, source_sha256=src_sha,
                          patches=patches, warnings=warnings, toolchain=toolchain, modules=modules)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_common_arguments(ap, PREBUILT_TOOLS / f"zig-{ZIG_VERSION}" / "zig")
    ap.add_argument("--soabi", help="tag written into the side modules (default: the runtime's; tests use it to make a mismatch)")
    ap.add_argument("--no-asyncify", action="store_true",
                    help="build only the plain side modules, no Asyncify variant (a bundle then runs them with JSPI; "
                    "under Asyncify host calls from their callbacks are refused, which the tests use)")
    ap.add_argument("--work-dir", type=Path, help="build in DIR and keep it (sources, objects, meson build tree) for debugging; "
                    "always builds")
    ap.add_argument("--no-cache", action="store_true", help="build even if ~/.cache/pymode/extensions has this build")
    a = ap.parse_args(argv)
    return run_cli("build_extension", a.recipe, a.out,
                   lambda: build(a.recipe, a.runtime_dir, a.out, a.zig, a.soabi, asyncify=not a.no_asyncify,
                                 work_dir=a.work_dir, use_cache=not a.no_cache))


if __name__ == "__main__":
    sys.exit(main())
