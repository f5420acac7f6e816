#!/usr/bin/env python3
"""Build a PyMode `rust` recipe (a maturin/PyO3 crate) into a wasm side module for python.wasm.

    build_rust_extension.py RECIPE.json --runtime-dir DIR --out DIR [--toolchain DIR] [--jobs N] [--work-dir DIR]

The C recipes' builder (build_extension.py) is unchanged; this module reuses its validation, sources, Asyncify
and ABI-tagging code, so the output has the same layout and manifest (docs/extensions.md, "Rust recipes").
Steps:
  1. validate the recipe against recipes/schema.json (a `rust` section, modules with `init` only, exactly one);
  2. fetch the pinned source (sdist by sha256, or a local path) and apply the recipe's patches;
  3. vendor every crate the extension and the standard library need with `cargo vendor --locked`: versions
     and sha256 checksums come from the crate's Cargo.lock (and the Rust library's own), nothing floats;
  4. cross-compile with Debian trixie's rustc 1.85.1 (hack/provision-rust.sh) for wasm32-wasip1 as a
     staticlib, offline, with the standard library rebuilt position-independent
     (`RUSTC_BOOTSTRAP=1 -Zbuild-std=std,panic_abort`, `-C relocation-model=pic`): Debian's prebuilt
     wasm32-wasip1 std is not PIC, and wasm-ld refuses it in a shared link
     ("relocation R_WASM_MEMORY_ADDR_SLEB cannot be used against symbol …; recompile with -fPIC");
     PyO3 is configured for the runtime's CPython by a PYO3_CONFIG_FILE (no libpython to link);
  5. link it with zig's wasm-ld exactly like a C side module (--experimental-pic -shared, undefined symbols
     imported from python.wasm), keeping only PyInit_<name> exported, together with rust/pymode_rust_shim.c:
     std's few WASI preview1 calls (random_get, clock_time_get, fd_write) bound inside the module over
     python.wasm's exports, so the module imports nothing but `env`/`GOT.*` (anything else is refused);
  6. the plain variant, the Asyncify variant (wasm-opt, as for C), the `pymode.abi` section, OUT/site and
     OUT/manifest.json, cached under ~/.cache/pymode/extensions/<name>-<version>-<key>.
Exit status 2 for a refused recipe, 1 for a failed build.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import build_extension as be  # noqa: E402
from build_extension import BuildError, RecipeError  # noqa: E402

wasminfo = be.wasminfo  # builder-image/runtime/wasminfo.py, as the C builder loads it

REPO = be.REPO
CACHE = be.CACHE
PROVISION = REPO / "hack" / "provision-rust.sh"
SHIM = HERE / "rust" / "pymode_rust_shim.c"
RUST_VERSION = "1.85.1"
TARGET = "wasm32-wasip1"
# WASI preview1 functions pymode_rust_shim.c implements (over python.wasm's exports)
SHIMMED_WASI = ("random_get", "clock_time_get", "fd_write")
DEFAULT_JOBS = 2


# ---- recipe -------------------------------------------------------------------------------------------

def load_recipe(path: Path) -> dict:
    try:
        recipe = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise RecipeError(f"{path}: not readable JSON: {e}") from e
    be.validate(recipe, json.loads(be.SCHEMA.read_text()), "")
    if "rust" not in recipe:
        raise RecipeError("rust: required field missing (build_rust_extension.py builds `rust` recipes; "
                          "build_extension.py builds the others)")
    if path.stem != recipe["name"] and path.parent.resolve() == (REPO / "recipes").resolve():
        raise RecipeError(f"name: {recipe['name']!r} does not match the file name {path.name}")
    for field in ("meson", "sources", "includes", "cflags"):
        if field in recipe:
            raise RecipeError(f"{field}: not used by a rust recipe (cargo builds the crate; see `rust`)")
    if len(recipe["modules"]) != 1:
        raise RecipeError(f"modules: a rust recipe builds one extension module (the crate's), got {len(recipe['modules'])}")
    for mod, spec in recipe["modules"].items():
        want = "PyInit_" + mod.rsplit(".", 1)[-1]
        if spec["init"] != want:
            raise RecipeError(f"modules.{mod}.init: CPython looks for {want}, not {spec['init']}")
        for field in ("sources", "cflags"):
            if field in spec:
                raise RecipeError(f"modules.{mod}.{field}: cargo builds this module; leave it out")
    lock = recipe["rust"].get("lockfile")
    if lock and not (path.parent / lock).is_file():
        raise RecipeError(f"rust.lockfile: {lock} not found next to the recipe")
    return recipe


# ---- toolchain ----------------------------------------------------------------------------------------

def toolchain(explicit: Path | None) -> Path:
    """The directory hack/provision-rust.sh prints (bin/rustc, bin/cargo, root/usr = the sysroot)."""
    d = explicit or (Path(os.environ["PYMODE_RUST_TOOLCHAIN"]) if os.environ.get("PYMODE_RUST_TOOLCHAIN") else None)
    if d is None:
        p = subprocess.run(["bash", str(PROVISION)], capture_output=True, text=True)
        if p.returncode != 0:
            raise BuildError(f"Rust toolchain: {PROVISION} failed:\n{p.stderr[-3000:]}")
        d = Path(p.stdout.strip().splitlines()[-1])
    for f in ("bin/rustc", "bin/cargo"):
        if not (d / f).is_file():
            raise BuildError(f"Rust toolchain: {d / f} missing (run hack/provision-rust.sh)")
    if not (sysroot(d) / "lib" / "rustlib" / "src" / "rust" / "library" / "Cargo.lock").is_file():
        raise BuildError(f"Rust toolchain: no rust-src in {sysroot(d)} (needed to rebuild std position-independent)")
    return d


def sysroot(tc: Path) -> Path:
    return tc / "root" / "usr"


def rustc_version(tc: Path) -> str:
    p = subprocess.run([str(tc / "bin" / "rustc"), "-vV"], capture_output=True, text=True)
    if p.returncode != 0:
        raise BuildError(f"{tc}/bin/rustc -vV failed: {p.stderr[-2000:]}")
    return p.stdout.strip()


# ---- key ----------------------------------------------------------------------------------------------

def build_key(recipe_path: Path, recipe: dict, runtime_dir: Path, soabi: str | None, asyncify: bool, rustc: str) -> str:
    h = hashlib.sha256()

    def add(label: str, data: bytes) -> None:
        h.update(f"{label}\0{len(data)}\0".encode() + data)

    add("recipe", recipe_path.read_bytes())
    for rel in [*recipe.get("patches", []), *([recipe["rust"]["lockfile"]] if recipe["rust"].get("lockfile") else [])]:
        p = (recipe_path.parent / rel).resolve()
        add("file " + rel, p.read_bytes() if p.is_file() else b"")
    if "path" in recipe["source"]:
        d = (recipe_path.parent / recipe["source"]["path"]).resolve()
        for f in sorted(d.rglob("*")):
            if f.is_file() and "__pycache__" not in f.parts and "target" not in f.relative_to(d).parts:
                add("src " + f.relative_to(d).as_posix(), f.read_bytes())
    add("runtime", (runtime_dir / "manifest.json").read_bytes())
    for f in [Path(__file__).resolve(), Path(be.__file__).resolve(), be.TOOLCHAIN, SHIM, PROVISION,
              HERE.parent / "runtime" / "wasminfo.py"]:
        add("builder " + f.name, f.read_bytes())
    add("rustc", rustc.encode())
    add("switches", json.dumps([soabi, ["plain", "asyncify"] if asyncify else ["plain"]]).encode())
    return h.hexdigest()[:16]


# ---- build --------------------------------------------------------------------------------------------

def build(recipe_path: Path, runtime_dir: Path, out: Path, zig: Path, soabi: str | None, asyncify: bool = True,
          work_dir: Path | None = None, use_cache: bool = True, keep_cache: bool = True, tc_dir: Path | None = None,
          jobs: int = DEFAULT_JOBS) -> dict:
    recipe = load_recipe(recipe_path)
    if not (runtime_dir / "manifest.json").is_file():
        raise BuildError(f"--runtime-dir: no manifest.json in {runtime_dir} (run builder-image/runtime/build.sh)")
    tc = toolchain(tc_dir)
    rustc = rustc_version(tc)
    key = build_key(recipe_path, recipe, runtime_dir, soabi, asyncify, rustc)
    return be.build_through_cache("build_rust_extension", recipe, key, out, use_cache and work_dir is None, keep_cache,
                                  lambda: _build(recipe_path, recipe, runtime_dir, out, zig, soabi, asyncify, work_dir, key,
                                                 tc, rustc, jobs))


def cargo_env(tc: Path, cargo_home: Path, extra: dict | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CARGO_", "RUSTUP_", "RUSTC", "RUSTFLAGS", "PYO3_"))}
    env.update({"PATH": f"{tc / 'bin'}:{env.get('PATH', '')}", "RUSTC": str(tc / "bin" / "rustc"),
                "RUSTDOC": str(tc / "bin" / "rustdoc"), "CARGO_HOME": str(cargo_home)})
    # The bundle the builder was told to trust (a builder Job behind a TLS-inspecting proxy gets the chart's
    # builder.caBundle as SSL_CERT_FILE), else the system's (where a proxy's CA was added to it, as on this machine).
    ca = os.environ.get("SSL_CERT_FILE") or "/etc/ssl/certs/ca-certificates.crt"
    if os.path.isfile(ca):
        env["CARGO_HTTP_CAINFO"] = ca
    env.update(extra or {})
    return env


def run_logged(cmd: list[str], log: list[str], env: dict, cwd: Path | None = None, what: str = "") -> str:
    log.append(("(cd %s && " % cwd if cwd else "") + " ".join(cmd) + (")" if cwd else ""))
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd)
    if p.stdout.strip() or p.stderr.strip():
        log.append((p.stdout + p.stderr).rstrip())
    if p.returncode != 0:
        raise BuildError(f"{what or 'command'} failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr[-6000:]}")
    return p.stdout


def wasm_object_imported_functions(obj: bytes) -> list[tuple[str, str, str]]:
    """(symbol name, import module, import field) of every undefined function symbol of a wasm object file
    (its import section and the `linking` section's symbol table)."""
    fimports: list[tuple[str, str]] = []
    symtab: bytes | None = None
    for sid, _start, p, end in wasminfo.sections_at(obj):
        if sid == 2:
            fimports = wasminfo.imported_functions(obj, p)
        elif sid == 0:
            name, q = wasminfo.name_at(obj, p, "replace")
            if name == "linking":
                _, q = wasminfo.uleb_at(obj, q)  # version
                while q < end:
                    sub = obj[q]
                    ssize, q = wasminfo.uleb_at(obj, q + 1)
                    if sub == 8:
                        symtab = obj[q:q + ssize]
                    q += ssize
    out = []
    if symtab is None:
        return out
    count, q = wasminfo.uleb_at(symtab, 0)
    for _ in range(count):
        kind = symtab[q]
        flags, q = wasminfo.uleb_at(symtab, q + 1)
        undefined, explicit = flags & 0x10, flags & 0x40
        if kind in (0, 2, 4, 5):
            index, q = wasminfo.uleb_at(symtab, q)
            name = None
            if not undefined or explicit:
                name, q = wasminfo.name_at(symtab, q, "replace")
            if kind == 0 and undefined and index < len(fimports):
                mod, field = fimports[index]
                out.append((name or field, mod, field))
        elif kind == 1:
            _, q = wasminfo.name_at(symtab, q, "replace")
            if not undefined:
                for _ in range(3):
                    _, q = wasminfo.uleb_at(symtab, q)
        elif kind == 3:
            _, q = wasminfo.uleb_at(symtab, q)
    return out


def archive_members(data: bytes):
    """The members of a Unix `ar` archive (a Rust staticlib)."""
    if not data.startswith(b"!<arch>\n"):
        raise BuildError("the staticlib is not an ar archive")
    p = 8
    while p + 60 <= len(data):
        size = int(data[p + 48:p + 58].decode().strip())
        yield data[p + 60:p + 60 + size]
        p += 60 + size + (size & 1)


def wasi_wrappers(staticlib: Path) -> tuple[str, list[str]]:
    """PYMODE_WASI_WRAP lines for every symbol in `staticlib` that is an import of one of the WASI functions
    the shim implements. rustc names such imports per crate (std's `wasi` crate:
    _ZN4wasi13lib_generated22wasi_snapshot_preview110random_get17h<hash>E; getrandom has its own), so they are
    read from the objects' symbol tables."""
    found: dict[str, str] = {}
    for member in archive_members(staticlib.read_bytes()):
        if member[:4] != b"\0asm":
            continue
        for sym, mod, field in wasm_object_imported_functions(member):
            if mod == "wasi_snapshot_preview1" and field in SHIMMED_WASI:
                found[sym] = field
    lines = [f'PYMODE_WASI_WRAP({fn}, "{sym}", {i})' for i, (sym, fn) in enumerate(sorted(found.items()))]
    return "\n".join(lines) + "\n", sorted(found)


def _build(recipe_path: Path, recipe: dict, runtime_dir: Path, out: Path, zig: Path, soabi: str | None, asyncify: bool,
           work_dir: Path | None, key: str, tc: Path, rustc: str, jobs: int) -> dict:
    t0 = time.monotonic()
    rt, ext = be.runtime_extension_facts(runtime_dir)
    if not zig.is_file():
        raise BuildError(f"--zig: {zig} not found (builder-image/runtime/build.sh unpacks zig {be.ZIG_VERSION} there)")
    spec_rust = recipe["rust"]
    (mod, spec), = recipe["modules"].items()
    site = be.fresh_site(out)
    log: list[str] = []
    timings: dict[str, float] = {}
    with be.work_directory(recipe, work_dir) as tmp:
        work = Path(tmp)
        src, src_sha = be.fetch_source(recipe, recipe_path, work)
        if "path" in recipe["source"]:
            # cargo writes into the crate directory (target/, a lock file): build a copy
            copy = work / "src"
            shutil.copytree(src, copy, ignore=shutil.ignore_patterns("target", "__pycache__"))
            src = copy
        patches = be.apply_patches(recipe, recipe_path, src, log, local_source_copied=True)
        manifest_rel = spec_rust.get("manifest", "Cargo.toml")
        cargo_toml = src / manifest_rel
        if not cargo_toml.is_file():
            raise BuildError(f"rust.manifest: {manifest_rel} is not a file in the source")
        crate_dir = cargo_toml.parent
        if spec_rust.get("lockfile"):
            shutil.copyfile(recipe_path.parent / spec_rust["lockfile"], crate_dir / "Cargo.lock")
        lock = crate_dir / "Cargo.lock"
        # a workspace member's lock file is the workspace's
        while not lock.is_file() and lock.parent != src and lock.parent.parent != lock.parent:
            lock = lock.parent.parent / "Cargo.lock"
        if not lock.is_file():
            raise BuildError(f"rust: no Cargo.lock for {manifest_rel} in the source; a rust recipe builds only pinned crate "
                             "versions (give one with rust.lockfile)")
        lock_sha = be.sha256_file(lock)

        # 3. vendor: the crate's dependencies and the standard library's, checksummed by the lock files
        library = sysroot(tc) / "lib" / "rustlib" / "src" / "rust" / "library"
        cargo = str(tc / "bin" / "cargo")
        cargo_home = CACHE / "cargo-home"  # registry downloads (verified against Cargo.lock checksums when vendored)
        vendor = work / "vendor"
        t = time.monotonic()
        run_logged([cargo, "vendor", "--locked", "--versioned-dirs", "--manifest-path", str(cargo_toml),
                    "--sync", str(library / "Cargo.toml"), str(vendor)], log, cargo_env(tc, cargo_home), what="cargo vendor")
        timings["vendor"] = round(time.monotonic() - t, 1)
        vendored = sorted(p.name for p in vendor.iterdir() if p.is_dir())
        build_home = work / "cargo-home"
        build_home.mkdir()
        (build_home / "config.toml").write_text(
            "[source.crates-io]\nreplace-with = \"vendored-sources\"\n\n"
            f"[source.vendored-sources]\ndirectory = \"{vendor}\"\n\n[net]\noffline = true\n")

        # 4. PyO3's view of the target interpreter
        major, minor = rt["python"].split(".")[:2]
        pyo3_cfg = work / "pyo3-config.txt"
        pyo3_cfg.write_text(f"implementation=CPython\nversion={major}.{minor}\nshared=false\nabi3=false\n"
                            f"lib_name=python{major}.{minor}\npointer_width=32\nsuppress_build_script_link_lines=true\n")
        target_dir = work / "target"
        prefix_maps = [f"--remap-path-prefix={src}=/{recipe['name']}-{recipe['version']}", f"--remap-path-prefix={vendor}=/vendor",
                       f"--remap-path-prefix={sysroot(tc)}/lib/rustlib/src/rust=/rust-{RUST_VERSION}",
                       f"--remap-path-prefix={work}=/build"]
        rustflags = ["-C", "relocation-model=pic", "-C", "panic=abort", *prefix_maps, *spec_rust.get("rustflags", [])]
        env = cargo_env(tc, build_home, {
            "RUSTC_BOOTSTRAP": "1",  # -Zbuild-std on a stable compiler
            "CARGO_ENCODED_RUSTFLAGS": "\x1f".join(rustflags),
            "CARGO_TARGET_DIR": str(target_dir),
            "PYO3_CONFIG_FILE": str(pyo3_cfg),
            "SOURCE_DATE_EPOCH": str(rt.get("build", {}).get("source_date_epoch", 0)),
            **spec_rust.get("env", {}),
        })
        features = spec_rust.get("features", [])
        cmd = [cargo, "rustc", "--release", "--locked", "--offline", "--lib", "--target", TARGET, "--crate-type", "staticlib",
               "-Zbuild-std=std,panic_abort", "-j", str(jobs), "--manifest-path", str(cargo_toml)]
        if features:
            cmd += ["--features", ",".join(features)]
        if spec_rust.get("no_default_features"):
            cmd.append("--no-default-features")
        t = time.monotonic()
        run_logged(cmd, log, env, cwd=crate_dir, what="cargo build")
        timings["cargo"] = round(time.monotonic() - t, 1)
        libs = sorted((target_dir / TARGET / "release").glob("lib*.a"))
        if len(libs) != 1:
            raise BuildError(f"cargo build: expected one staticlib in {target_dir / TARGET / 'release'}, found {[p.name for p in libs]}")
        staticlib = libs[0]

        # 5. shim + side-module link
        wraps, wrapped = wasi_wrappers(staticlib)
        (work / "wasi-wraps.h").write_text(wraps)
        shim_o = work / "pymode_rust_shim.o"
        be.run([str(zig), "cc", *be.TARGET_FLAGS, "-O2", f"-DPYMODE_WASI_WRAPS=\"{work / 'wasi-wraps.h'}\"",
                f"-ffile-prefix-map={HERE}=/pymode", "-c", str(SHIM), "-o", str(shim_o)], log)
        wasm = work / (mod + ".wasm")
        t = time.monotonic()
        be.run([str(zig), "wasm-ld", *be.SIDE_MODULE_LINK_FLAGS, "--no-export-dynamic", "-u", spec["init"],
                f"--export={spec['init']}", str(shim_o), str(staticlib), "-o", str(wasm)], log)
        timings["link"] = round(time.monotonic() - t, 1)
        imports = wasminfo.load(str(wasm)).imports
        foreign = sorted(f"{i['module']}.{i['name']}" for i in imports if i["module"] not in ("env", "GOT.mem", "GOT.func"))
        if foreign:
            raise BuildError(f"modules.{mod}: the linked module imports {', '.join(foreign)}, which the side-module linker does not "
                             f"provide (only env/GOT.* against python.wasm); builder-image/extensions/rust/pymode_rust_shim.c "
                             f"implements the WASI calls {', '.join(SHIMMED_WASI)}")

        # 6. variants, ABI tag, site
        t = time.monotonic()
        variants = be.side_module_variants(mod, wasm, ext, work, asyncify, log)
        if asyncify:
            timings["asyncify"] = round(time.monotonic() - t, 1)
        modules = {mod: be.write_side_module(site, recipe, mod, spec, variants, rt, ext, soabi)}
        for pkg, rel in recipe.get("packages", {}).items():
            d = src / rel
            if rel.endswith(".py") and d.is_file():
                # a single-module distribution (e.g. typing_extensions from an extra_sources sdist) -> site/<pkg>.py
                shutil.copyfile(d, site / f"{pkg}.py")
                continue
            if not d.is_dir():
                raise BuildError(f"packages.{pkg}: {rel} is not a directory (or a .py file) in the source")
            be.copy_python_files(d, site / pkg)

    toolchain = {"zig": be.ZIG_VERSION, "flags": be.TARGET_FLAGS,
                 "wasm_opt": ["binaryen 108", *be.WASM_OPT_ARGS] if asyncify else None, "cython": None, "meson": None,
                 "rust": {"rustc": rustc.splitlines()[0], "from": f"Debian trixie rustc/libstd-rust-dev-wasm32/rust-src {RUST_VERSION}",
                          "target": TARGET, "build_std": ["std", "panic_abort"], "rustflags": rustflags[:4] + spec_rust.get("rustflags", []),
                          "features": features, "no_default_features": bool(spec_rust.get("no_default_features")),
                          "cargo_lock_sha256": lock_sha, "vendored_crates": vendored, "wasi_shimmed": wrapped and list(SHIMMED_WASI),
                          "seconds": timings}}
    return be.write_manifest(out, site, recipe, recipe_path, key, rt, ext, soabi, log, t0, source_sha256=src_sha,
                             patches=patches, warnings=[], toolchain=toolchain, modules=modules)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    be.add_common_arguments(ap, be.PREBUILT_TOOLS / f"zig-{be.ZIG_VERSION}" / "zig")
    ap.add_argument("--soabi", help="tag written into the side module (default: the runtime's)")
    ap.add_argument("--no-asyncify", action="store_true", help="build only the plain side module")
    ap.add_argument("--work-dir", type=Path, help="build in DIR and keep it (vendor/, target/, objects); always builds")
    ap.add_argument("--no-cache", action="store_true", help="build even if ~/.cache/pymode/extensions has this build")
    ap.add_argument("--toolchain", type=Path, help="hack/provision-rust.sh's directory (default: run it; or $PYMODE_RUST_TOOLCHAIN)")
    ap.add_argument("--jobs", type=int, default=int(os.environ.get("PYMODE_RUST_JOBS", DEFAULT_JOBS)),
                    help=f"cargo -j (default {DEFAULT_JOBS}, or $PYMODE_RUST_JOBS)")
    a = ap.parse_args(argv)
    return be.run_cli("build_rust_extension", a.recipe, a.out,
                      lambda: build(a.recipe, a.runtime_dir, a.out, a.zig, a.soabi, asyncify=not a.no_asyncify,
                                    work_dir=a.work_dir, use_cache=not a.no_cache, tc_dir=a.toolchain, jobs=a.jobs),
                      timed=True)


if __name__ == "__main__":
    sys.exit(main())
