#!/usr/bin/env python3
"""Benchmark (not a test): PyMode's python.wasm against Pyodide, side by side, in one run.

Prints sizes (raw and gzip -9) of python.wasm with and without Asyncify and as a Wizer snapshot,
next to Pyodide's wasm + stdlib, then cold-start times under node (wall time of a fresh node
process, median of N runs):
  - ours: `_start -c pass` (CLI), pymode_init + first request, snapshot's first request
  - Pyodide: `await loadPyodide()` + runPython('1+1')

With --before DIR (a runtime built from main, e.g. ~/.cache/pymode/runtime/current) it first prints that
runtime and this one side by side (issue #13 item 2, "fewer bytes"): the core python.wasm (plain, for JSPI, and
asyncified) raw/gzip, the side modules the runtime carries (lib-dynload/, both variants), the stdlib zip,
hello-worker's whole upload gzipped (worker/scripts/bundle.mjs, the driver it picks) without and with its
Wizer snapshot, each against Cloudflare's 3 MB (free) / 10 MB (paid) limits, and pymode_init / the first
request in process (pymode-host.mjs, the test fixture app; median and min of --runs fresh processes).
--compare-only stops after that table.

Usage: builder-image/bench/runtime_size.py [--runs 5] [--before RUNTIME_DIR [--compare-only]]
Needs the runtime (builder-image/runtime/build.sh; run first if missing; PYMODE_RUNTIME_DIR is honoured).
Pyodide is installed from npm with the pinned lockfile in bench/npm/ into the cache.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RUNTIME_SRC = ROOT / "runtime"
FIXTURES = ROOT / "tests" / "fixtures"
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pymode"


def gz_size(p: Path) -> int:
    return len(gzip.compress(p.read_bytes(), compresslevel=9, mtime=0))


def fmt(n: int) -> str:
    return f"{n:>12,}"


def timed(cmd: list[str], runs: int, cwd: str | None = None) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        p = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)
        dt = (time.perf_counter() - t) * 1000
        if p.returncode != 0:
            raise SystemExit(f"command failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr[-2000:]}")
        out.append(dt)
    return out


def pyodide_dir() -> Path:
    lock = (HERE / "npm" / "package.json").read_bytes() + (HERE / "npm" / "package-lock.json").read_bytes()
    d = CACHE / "bench" / f"npm-{hashlib.sha256(lock).hexdigest()[:12]}"
    if not (d / "node_modules" / "pyodide" / "pyodide.asm.wasm").is_file():
        d.mkdir(parents=True, exist_ok=True)
        for f in ("package.json", "package-lock.json"):
            shutil.copyfile(HERE / "npm" / f, d / f)
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=d, check=True)
    return d / "node_modules" / "pyodide"


REPO = ROOT.parent
HELLO = REPO / "examples" / "hello-worker"
FREE_LIMIT, PAID_LIMIT = 3_000_000, 10_000_000  # Cloudflare's upload limits, gzip (docs: "3 MB" / "10 MB")


def host_lib(runtime: Path, work: Path) -> Path:
    """/lib as the hosts give it: the zip and the runtime's side modules (if it has any) in python3.13/lib-dynload."""
    lib = work / "lib"
    lib.mkdir(parents=True)
    shutil.copyfile(runtime / "python313.zip", lib / "python313.zip")
    if (runtime / "lib-dynload").is_dir():
        shutil.copytree(runtime / "lib-dynload", lib / "python3.13" / "lib-dynload")
    return lib


def hello_uploads(runtime: Path, work: Path) -> tuple[dict, dict]:
    """hello-worker bundled by worker/scripts/bundle.mjs, without and with a Wizer snapshot of the wasm its driver runs."""
    bundler = REPO / "worker" / "scripts" / "bundle.mjs"
    chosen = json.loads(subprocess.run(["node", str(bundler), "--choose-driver", "--runtime", str(runtime)], check=True,
                                       capture_output=True, text=True).stdout.strip().splitlines()[-1])
    base = ["node", str(bundler), "--project", str(HELLO), "--runtime", str(runtime), "--pylib", str(REPO / "pylib"),
            "--driver", chosen["driver"]]
    subprocess.run([*base, "--out", str(work / "hello")], check=True, capture_output=True)
    site = work / "site-with-pylib"
    shutil.copytree(REPO / "pylib" / "pymode", site / "pymode", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    snap = work / "hello.wizer.wasm"
    subprocess.run([str(RUNTIME_SRC / "snapshot.sh"), "--wasm", str(runtime / chosen["wasm"]), "--stdlib",
                    str(runtime / "python313.zip"), "--site", str(site), "--app", str(HELLO), "-o", str(snap)],
                   check=True, capture_output=True)
    subprocess.run([*base, "--wasm", str(snap), "--out", str(work / "hello-wizer")], check=True, capture_output=True)
    return tuple(json.loads((work / d / "bundle.json").read_text()) for d in ("hello", "hello-wizer"))


def in_process_start(runtimes: list[tuple[Path, Path]], wasm: str, runs: int) -> list[tuple[list[float], list[float], list[float]]]:
    """pymode_init, the first request and WebAssembly.compile, ms, in fresh pymode-host.mjs processes (fixture app),
    for each (runtime, /lib dir); the runs alternate between the runtimes, so a changing machine load hits all alike."""
    out = [([], [], []) for _ in runtimes]
    for _ in range(runs):
        for (runtime, lib), (init, first, comp) in zip(runtimes, out):
            cmd = ["node", "--no-warnings", "--stack-size=4000", str(RUNTIME_SRC / "pymode-host.mjs"), "--wasm", str(runtime / wasm),
                   "--dir", f"{lib}::/lib", "--dir", f"{FIXTURES / 'site'}::/lib/site", "--dir", f"{FIXTURES / 'app'}::/app",
                   "--env", "PYTHONHOME=/", "--env", "PYTHONPATH=/lib/site:/app", "--env", "PYMODE_ENTRY=src/entry.py",
                   json.dumps({"url": "/echo"})]
            lines = [json.loads(x) for x in subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.splitlines()]
            init.append(lines[-1]["init_ms"])
            first.append(lines[0]["ms"])
            comp.append(lines[-1]["compile_ms"])
    return out


def compare(before: Path, after: Path, runs: int) -> None:
    """main's layout (`before`) and this runtime (`after`) side by side."""
    cols = {}
    work = Path(tempfile.mkdtemp(prefix="pymode-bench-cmp-"))
    try:
        for name, rt in (("before", before), ("after", after)):
            m = json.loads((rt / "manifest.json").read_text())
            w = work / name
            lib = host_lib(rt, w)
            dyn = sorted((rt / "lib-dynload").glob("*")) if (rt / "lib-dynload").is_dir() else []
            plain = [p for p in dyn if p.name.endswith(".so")]
            asyn = [p for p in dyn if p.name.endswith(".asyncify.wasm")]
            hello, hello_wizer = hello_uploads(rt, w)
            c = {"key": m["key"], "driver": hello["runtime"]["driver"]}
            for label, p in (("core python-noasync.wasm (JSPI)", rt / "python-noasync.wasm"),
                             ("core python.wasm (Asyncify)", rt / "python.wasm"),
                             ("stdlib python313.zip", rt / "python313.zip")):
                c[label] = (p.stat().st_size, gz_size(p))
            c[f"side modules, plain ({len(plain)})"] = (sum(p.stat().st_size for p in plain), sum(gz_size(p) for p in plain))
            c[f"side modules, Asyncify ({len(asyn)})"] = (sum(p.stat().st_size for p in asyn), sum(gz_size(p) for p in asyn))
            c["hello upload"] = (hello["total_size"], hello["total_gzip_size"])
            c["hello upload + Wizer snapshot"] = (hello_wizer["total_size"], hello_wizer["total_gzip_size"])
            c["hello runtime modules"] = [e["path"].rsplit("/", 1)[1].split(".")[0] for e in hello.get("runtime_modules", [])]
            c["lib"] = lib
            cols[name] = c
        b, a = cols["before"], cols["after"]
        for wasm in ("python-noasync.wasm", "python.wasm"):
            b[f"start {wasm}"], a[f"start {wasm}"] = in_process_start([(before, b["lib"]), (after, a["lib"])], wasm, runs)
        print(f"before: runtime {b['key']} (main's layout)   after: runtime {a['key']}   (hello-worker driver: {a['driver']})\n")
        print(f"{'bytes (raw / gzip -9)':40} {'before raw':>12} {'before gzip':>12} {'after raw':>12} {'after gzip':>12} {'gzip delta':>11}")
        labels = [k for k in a if isinstance(a[k], tuple) and len(a[k]) == 2 and isinstance(a[k][0], int) and k.split(" (")[0] in {x.split(" (")[0] for x in a}]
        for k in labels:
            bk = next((x for x in b if x.split(" (")[0] == k.split(" (")[0]), None)
            braw, bgz = b.get(bk, (0, 0)) if bk else (0, 0)
            print(f"{k:40} {braw:>12,} {bgz:>12,} {a[k][0]:>12,} {a[k][1]:>12,} {a[k][1] - bgz:>+11,}")
        for k in ("hello upload", "hello upload + Wizer snapshot"):
            print(f"  {k}, gzip: before {b[k][1] / FREE_LIMIT:.0%} of the 3 MB free-plan limit ({b[k][1] / PAID_LIMIT:.0%} of 10 MB), "
                  f"after {a[k][1] / FREE_LIMIT:.0%} ({a[k][1] / PAID_LIMIT:.0%}): {'fits' if a[k][1] <= FREE_LIMIT else 'does not fit'} the free plan")
        print(f"  runtime side modules hello's bundle ships: {a['hello runtime modules'] or 'none'}\n")
        print(f"in process, pymode-host.mjs (fixture app), {runs} fresh processes each, alternating, ms median (min)   load {os.getloadavg()[0]:.1f}")
        print(f"{'':42} {'before':>22} {'after':>22}")
        for wasm in ("python-noasync.wasm", "python.wasm"):
            for i, what in enumerate(("pymode_init", "first request", "WebAssembly.compile")):
                bt, at = b[f"start {wasm}"][i], a[f"start {wasm}"][i]
                print(f"{wasm + ' ' + what:42} {statistics.median(bt):>14.1f} ({min(bt):5.1f}) {statistics.median(at):>14.1f} ({min(at):5.1f})")
        print()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--before", type=Path, help="a runtime directory to compare this one with (main's layout)")
    ap.add_argument("--compare-only", action="store_true", help="with --before: print only the comparison")
    args = ap.parse_args()

    runtime = Path(subprocess.run([str(RUNTIME_SRC / "build.sh")], check=True, capture_output=True,
                                  text=True).stdout.strip())
    if args.before:
        if not (args.before / "manifest.json").is_file():
            raise SystemExit(f"--before: no runtime (manifest.json) in {args.before}")
        compare(args.before.resolve(), runtime.resolve(), args.runs)
        if args.compare_only:
            return 0
    manifest = json.loads((runtime / "manifest.json").read_text())
    pyo = pyodide_dir()
    pyo_version = json.loads((pyo / "package.json").read_text())["version"]
    work = Path(tempfile.mkdtemp(prefix="pymode-bench-"))
    try:
        lib = host_lib(runtime, work)
        snap = work / "snapshot.wasm"
        subprocess.run([str(RUNTIME_SRC / "snapshot.sh"), "--wasm", str(runtime / "python.wasm"),
                        "--stdlib", str(runtime / "python313.zip"), "--site", str(FIXTURES / "site"),
                        "--app", str(FIXTURES / "app"), "-o", str(snap)], check=True, capture_output=True)

        rows = [
            ("python-noasync.wasm (-O2)", runtime / "python-noasync.wasm"),
            ("python.wasm (asyncify -O2)", runtime / "python.wasm"),
            ("python.wasm + Wizer snapshot", snap),
            ("python313.zip (stdlib .pyc, stored)", runtime / "python313.zip"),
            (f"pyodide {pyo_version} pyodide.asm.wasm", pyo / "pyodide.asm.wasm"),
            (f"pyodide {pyo_version} python_stdlib.zip", pyo / "python_stdlib.zip"),
            (f"pyodide {pyo_version} pyodide.asm.mjs", pyo / "pyodide.asm.mjs"),
        ]
        print(f"PyMode runtime {manifest['key']} (CPython {manifest['python']}, zig {manifest['tools']['zig'].split()[0]})"
              f" vs Pyodide {pyo_version}\n")
        print(f"{'artifact':44} {'raw bytes':>12} {'gzip -9':>12}")
        sizes = {}
        for label, p in rows:
            raw, gz = p.stat().st_size, gz_size(p)
            sizes[label] = (raw, gz)
            print(f"{label:44} {fmt(raw)} {fmt(gz)}")
        ours = sizes["python.wasm (asyncify -O2)"][1] + sizes["python313.zip (stdlib .pyc, stored)"][1]
        theirs = sizes[f"pyodide {pyo_version} pyodide.asm.wasm"][1] + sizes[f"pyodide {pyo_version} python_stdlib.zip"][1] \
            + sizes[f"pyodide {pyo_version} pyodide.asm.mjs"][1]
        print(f"{'total shipped, gzip (ours: wasm+zip; pyodide: wasm+zip+js)':60} ours {ours:,} / pyodide {theirs:,}\n")

        node = ["node", "--no-warnings", "--stack-size=4000"]
        wasi_run = [*node, str(RUNTIME_SRC / "wasi-run.mjs"), "--dir", f"{lib}::/lib", "--env", "PYTHONHOME=/"]
        host = [*node, str(RUNTIME_SRC / "pymode-host.mjs"), "--dir", f"{lib}::/lib",
                "--dir", f"{FIXTURES / 'site'}::/lib/site", "--dir", f"{FIXTURES / 'app'}::/app",
                "--env", "PYTHONHOME=/", "--env", "PYTHONPATH=/lib/site:/app", "--env", "PYMODE_ENTRY=src/entry.py"]
        req = json.dumps({"url": "/echo"})
        (work / "pyodide.mjs").write_text(
            f"import {{ loadPyodide }} from {json.dumps(str(pyo / 'pyodide.mjs'))};\n"
            "const py = await loadPyodide();\nif (py.runPython('1+1') !== 2) process.exit(1);\n")
        (work / "empty.mjs").write_text("")
        cases = [
            ("node empty script (baseline)", [*node, str(work / "empty.mjs")]),
            ("ours: python-noasync.wasm _start -c pass", [*wasi_run, str(runtime / "python-noasync.wasm"), "-c", "pass"]),
            ("ours: python.wasm _start -c pass", [*wasi_run, str(runtime / "python.wasm"), "-c", "pass"]),
            ("ours: python.wasm pymode_init + 1 request", [*host, "--wasm", str(runtime / "python.wasm"), req]),
            ("ours: Wizer snapshot, 1 request (no init)", [*host, "--wasm", str(snap), "--no-init", req]),
            (f"pyodide {pyo_version}: loadPyodide() + runPython", [*node, str(work / "pyodide.mjs")]),
        ]
        print(f"cold start, wall ms of a fresh node process, {args.runs} runs (load {os.getloadavg()[0]:.1f})")
        print(f"{'case':52} {'median':>8} {'min':>8}  runs")
        for label, cmd in cases:
            ts = timed(cmd, args.runs)
            print(f"{label:52} {statistics.median(ts):8.0f} {min(ts):8.0f}  {' '.join(f'{t:.0f}' for t in ts)}")
        # In-process figures from the host itself (compile vs init), one run each.
        for label, wasm, extra in (("python.wasm", runtime / "python.wasm", []), ("snapshot", snap, ["--no-init"])):
            p = subprocess.run([*host, "--wasm", str(wasm), *extra, req], capture_output=True, text=True, check=True)
            lines = [json.loads(x) for x in p.stdout.splitlines()]
            print(f"  in-process {label}: WebAssembly.compile {lines[-1]['compile_ms']:.0f} ms, "
                  f"pymode_init {lines[-1]['init_ms']:.0f} ms, first request {lines[0]['ms']:.1f} ms")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
