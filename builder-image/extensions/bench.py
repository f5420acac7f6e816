#!/usr/bin/env python3
"""Benchmark of C extensions as side modules: import time cold/warm and bundle size with/without.

    builder-image/extensions/bench.py [--runs N] [--runtime-dir DIR] [--node PATH] [--sizes-only] [RECIPE ...]

For each recipe (default: all in recipes/), built with build_extension.py (and its depends), N fresh
node processes (worker/test/extension-run.mjs) each run, in one new python.wasm instance:
  C load   = loading the recipe's extension module(s) directly (ExtensionFileLoader -> dlopen: the side
             module is compiled in node, then linked: dylink, memory, table, GOT, relocations, ctors; PyInit)
  link     = the linker's own share of that (dynlink.ts timings)
  pkg cold = then the first `import <package>` (its .py sources; no .pyc is shipped)
  warm     = the same import again in that instance (sys.modules)
A package whose C modules import the package itself (numpy) cannot have them loaded first ("cannot load
module more than once"): then C load is '-' and pkg cold is the package plus every C module of the recipe.
Sizes: the side modules' two variants (plain, for JSPI; Asyncify) raw and gzip -9, and what a bundle ships
for the recipe and its depends per driver (Python files + that driver's variant of each side module, gzip -9
per file), against the bundle's fixed part (python-noasync.wasm or python.wasm + python313.zip, gzip -9).
The timings run on `--node` (default `node`): Node 20 bundles for Asyncify, a Node with JSPI (>= 24,
worker/scripts/node-jspi.sh) for JSPI (worker/test/helpers/driver.ts). --sizes-only skips them.
Prints a table; medians over the runs.
"""
from __future__ import annotations

import argparse
import gzip
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CACHE = Path.home() / ".cache" / "pymode"


def build_all(names: list[str], runtime: Path, root: Path) -> dict[str, Path]:
    done: dict[str, Path] = {}

    def get(name: str) -> None:
        if name in done:
            return
        recipe = json.loads((REPO / "recipes" / f"{name}.json").read_text())
        for dep in recipe.get("depends", []):
            get(dep)
        out = root / name
        builder = "build_rust_extension.py" if "rust" in recipe else "build_extension.py"
        p = subprocess.run([sys.executable, str(HERE / builder), str(REPO / "recipes" / f"{name}.json"),
                            "--runtime-dir", str(runtime), "--out", str(out)], capture_output=True, text=True)
        if p.returncode:
            raise SystemExit(f"building {name} failed:\n{p.stderr}")
        done[name] = out
    for n in names:
        get(n)
    return done


def closure(name: str) -> list[str]:
    recipe = json.loads((REPO / "recipes" / f"{name}.json").read_text())
    out = [name]
    for d in recipe.get("depends", []):
        out += [x for x in closure(d) if x not in out]
    return out


def gz(data: bytes) -> int:
    return len(gzip.compress(data, 9, mtime=0))


VARIANTS = ("plain", "asyncify")


def variant_files(site: Path, manifest: dict) -> dict[str, list[Path]]:
    """The side-module files of a build output by variant (manifest.json: `file`, `asyncify.file`)."""
    specs = manifest["modules"].values()
    return {"plain": [site / s["file"] for s in specs],
            "asyncify": [site / s["asyncify"]["file"] for s in specs if s.get("asyncify")]}


def shipped_gz(outs: list[Path], variant: str) -> int:
    """gzip -9 per file of what a bundle carries for these build outputs: their Python files and `variant`."""
    total = 0
    for out in outs:
        site = out / "site"
        files = variant_files(site, json.loads((out / "manifest.json").read_text()))
        other = {p for v in VARIANTS if v != variant for p in files[v]}
        total += sum(gz(p.read_bytes()) for p in site.rglob("*") if p.is_file() and p not in other)
    return total


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("recipes", nargs="*")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--runtime-dir", type=Path, default=CACHE / "runtime" / "current")
    ap.add_argument("--node", default="node", help="the node that runs the timings (its JSPI decides the driver)")
    ap.add_argument("--sizes-only", action="store_true", help="print the sizes, skip the timings")
    a = ap.parse_args()
    names = a.recipes or sorted(p.stem for p in (REPO / "recipes").glob("*.json") if p.stem not in ("schema", "idna"))
    runtime = a.runtime_dir.resolve()
    print(f"runtime {json.loads((runtime / 'manifest.json').read_text())['key']} (the bundle without extensions):")
    for driver, wasm in (("jspi", "python-noasync.wasm"), ("asyncify", "python.wasm")):
        base = [(runtime / f).read_bytes() for f in (wasm, "python313.zip")]
        print(f"  {driver}: {wasm} + python313.zip {sum(map(len, base)):,} B raw, {sum(map(gz, base)):,} B gzip -9")
    if not a.sizes_only:
        driver = subprocess.run([a.node, "-p", "typeof WebAssembly.Suspending === 'function' ? 'jspi' : 'asyncify'"],
                                capture_output=True, text=True, check=True).stdout.strip()
        print(f"timings on {a.node} (driver {driver})")
    with tempfile.TemporaryDirectory() as tmp:
        outs = build_all(names, runtime, Path(tmp))
        print(f"{'recipe':<12} {'plain raw':>11} {'gz':>9} {'asyncify raw':>12} {'gz':>9} {'+bundle gz jspi':>15} {'asyncify':>9}"
              + ("" if a.sizes_only else f" {'C load ms':>9} {'link ms':>8} {'pkg cold ms':>11} {'warm ms':>8}"))
        for name in names:
            deps = closure(name)
            m = json.loads((outs[name] / "manifest.json").read_text())
            pkg = next(iter(json.loads((REPO / "recipes" / f"{name}.json").read_text())["packages"]))
            sizes = []
            for files in variant_files(outs[name] / "site", m).values():
                sizes += [sum(p.stat().st_size for p in files), sum(gz(p.read_bytes()) for p in files)]
            sizes += [shipped_gz([outs[d] for d in deps], v) for v in VARIANTS]
            print(f"{name:<12} {sizes[0]:>11,} {sizes[1]:>9,} {sizes[2]:>12,} {sizes[3]:>9,} {sizes[4]:>15,} {sizes[5]:>9,}",
                  end="" if not a.sizes_only else "\n", flush=True)
            if a.sizes_only:
                continue
            mods = {mod: f"/lib/site/{s['file']}" for mod, s in m["modules"].items()}
            # C part alone first (dlopen: compile in node + link + PyInit), then the package as users import it.
            # A package whose C modules import the package itself (numpy: _multiarray_umath's init imports
            # numpy, which imports _multiarray_umath) cannot have them loaded on their own first; then C load
            # is not separable and pkg cold is `import <package>` plus importing every module of the recipe.
            direct_code = ("import sys, time, importlib.util as u, importlib.machinery as mach\n"
                        f"t0 = time.perf_counter()\nfor mod, path in {mods!r}.items():\n"
                        "    loader = mach.ExtensionFileLoader(mod, path)\n"
                        "    mm = u.module_from_spec(u.spec_from_file_location(mod, path, loader=loader))\n"
                        "    loader.exec_module(mm)\n"
                        f"t1 = time.perf_counter()\nimport {pkg}\nt2 = time.perf_counter()\nimport {pkg}\n"
                        "t3 = time.perf_counter()\nresult = [(t1 - t0) * 1000, (t2 - t1) * 1000, (t3 - t2) * 1000]")
            package_code = ("import time, importlib\nt1 = time.perf_counter()\n"
                        f"import {pkg}\nfor mod in {list(mods)!r}:\n    importlib.import_module(mod)\n"
                        f"t2 = time.perf_counter()\nimport {pkg}\nt3 = time.perf_counter()\n"
                        "result = [None, (t2 - t1) * 1000, (t3 - t2) * 1000]")
            cext, cold, warm, link = [], [], [], []
            direct, code = True, direct_code
            for _ in range(a.runs):
                cmd = [a.node, "--no-warnings", "--stack-size=4000", str(REPO / "worker/test/extension-run.mjs"), "--runtime", str(runtime)]
                for d in deps:
                    cmd += ["--site", str(outs[d] / "site")]
                p = subprocess.run(cmd, input=json.dumps([code]), capture_output=True, text=True)
                if p.returncode:
                    raise SystemExit(p.stderr[-2000:])
                r = json.loads(p.stdout)
                res = r["results"][0]
                if direct and not res.get("ok") and "cannot load module more than once" in res.get("error", ""):
                    direct, code = False, package_code  # this and the remaining runs load the package first
                    p = subprocess.run(cmd, input=json.dumps([code]), capture_output=True, text=True)
                    if p.returncode:
                        raise SystemExit(p.stderr[-2000:])
                    r = json.loads(p.stdout)
                    res = r["results"][0]
                if not res.get("ok"):
                    raise SystemExit(f"{name}: {res}")
                if direct:
                    cext.append(res["result"][0])
                cold.append(res["result"][1])
                warm.append(res["result"][2])
                link.append(sum(r["linkMs"].values()))
            c_load = f"{statistics.median(cext):>9.1f}" if direct else f"{'-':>9}"
            print(f" {c_load} {statistics.median(link):>8.0f} {statistics.median(cold):>11.1f} {statistics.median(warm):>8.3f}")
    print("plain/asyncify raw, gz = the recipe's side modules in each variant; +bundle gz = what a bundle ships for the recipe"
          " and its depends with that driver (Python files and that variant of each side module), gzip -9 each")
    if not a.sizes_only:
        print("C load = loading the recipe's extension module(s) in a fresh instance (dlopen: side-module compile in node, link,"
              " PyInit, exec); link = the linker's share of it; pkg cold = then `import <package>` (its .py sources, compiled"
              " on import: no .pyc shipped); warm = the import again; C load '-' = not separable (the package's C modules"
              " import the package, e.g. numpy): pkg cold is then the package and all its C modules")
    return 0


if __name__ == "__main__":
    sys.exit(main())
