#!/usr/bin/env python3
"""Benchmark (not a test): PyMode's python.wasm against Pyodide, side by side, in one run.

Prints sizes (raw and gzip -9) of python.wasm with and without Asyncify and as a Wizer snapshot,
next to Pyodide's wasm + stdlib, then cold-start times under node (wall time of a fresh node
process, median of N runs):
  - ours: `_start -c pass` (CLI), pymode_init + first request, snapshot's first request
  - Pyodide: `await loadPyodide()` + runPython('1+1')

Usage: builder-image/bench/runtime_size.py [--runs 5]
Needs the runtime (builder-image/runtime/build.sh; run first if missing). Pyodide is installed
from npm with the pinned lockfile in bench/npm/ into the cache.
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()

    runtime = Path(subprocess.run([str(RUNTIME_SRC / "build.sh")], check=True, capture_output=True,
                                  text=True).stdout.strip())
    manifest = json.loads((runtime / "manifest.json").read_text())
    pyo = pyodide_dir()
    pyo_version = json.loads((pyo / "package.json").read_text())["version"]
    work = Path(tempfile.mkdtemp(prefix="pymode-bench-"))
    try:
        lib = work / "lib"
        lib.mkdir()
        shutil.copyfile(runtime / "python313.zip", lib / "python313.zip")
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
