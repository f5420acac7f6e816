#!/usr/bin/env python3
"""Benchmark (not a test): runtime size steps side by side, each measured against the same build in one run.

Issue #13 item 2 ("fewer bytes"). Every row is one variant of the runtime built from the same cross-built
(unoptimised) python.wasm and the same Lib/: a different wasm-opt setting, or a different stdlib zip. For
each it prints

  - wasm raw / gzip -9 bytes, stdlib zip raw / gzip -9 bytes, and their sum gzipped (what the upload holds
    of the runtime; Cloudflare's limits are 3 MB gzip free / 10 MB paid),
  - pymode_init ms (in process, pymode-host.mjs, the test fixture app; median and min of --runs fresh
    processes), the first request and a warm request (median of requests 6..N of each process, then
    over the runs), and the CPU ms of that node process (all threads, so V8's compile work too),
  - in the CLI (`_start -c ...`): the wall ms of importing a set of heavier stdlib modules, which is what
    the stdlib zip's format and contents change, and of a small CPU-bound workload (best of 3), which is
    what compiler/optimiser settings change; and that process's CPU ms.
Runs are interleaved over all variants; on a shared machine read the minimums, and trust only large
differences in the medians. Sizes are exact.

The first row of each group is the baseline: the build as it was before this work (wasm-opt -O2; zip
stored, docstrings kept, no edge trim). "as built" rows are the files build.sh publishes now.

Usage: builder-image/bench/runtime_variants.py [--runs 7] [--requests 30] [--asyncify] [--groups 1,2,3] [--work DIR]
                                              [--raw LABEL=PATH]...
  --asyncify  also build and measure the asyncified python.wasm variants (minutes and ~3 GB per variant)
  --groups    which tables to measure: 1 wasm-opt / cross builds, 2 stdlib zips, 3 Asyncify (with --asyncify)
  --work DIR  where the variant files are built and kept between runs (default $CACHE/bench/variants)
  --raw LABEL=PATH  a row for another cross build (e.g. C flags -Os, or modules left out), wasm-opt -O2
Needs the runtime (builder-image/runtime/build.sh; run first if missing; PYMODE_RUNTIME_DIR is honoured).
One wasm-opt at a time; node processes run one after another.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RUNTIME_SRC = ROOT / "runtime"
FIXTURES = ROOT / "tests" / "fixtures"
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pymode"

FEATURES = ["--enable-bulk-memory", "--enable-mutable-globals", "--enable-nontrapping-float-to-int",
            "--enable-sign-ext", "--enable-multivalue", "--enable-extended-const"]
ASYNC_IMPORTS = "pymode.call,pymode.dl_open"
ASYNCIFY = ["--asyncify", f"--pass-arg=asyncify-imports@{ASYNC_IMPORTS}"]

# label -> wasm-opt optimisation arguments (between --strip-dwarf [--asyncify ...] and --strip-debug)
WASM_VARIANTS = {
    "-O2 (baseline)": ["-O2"],
    "-Os": ["-Os"],
    "-Oz": ["-Oz"],
    "-Oz --converge": ["-Oz", "--converge"],
    "-O3": ["-O3"],
}
ASYNC_VARIANTS = {"-O2 (baseline)": ["-O2"], "-Os": ["-Os"]}

# label -> mkstdlib.py arguments. The baseline is the zip as it was before issue #13 item 2.
OLD_ZIP = ["--docstrings", "keep", "--keep", "_pydatetime.py", "--keep", "_pyrepl/"]
ZIP_VARIANTS = {
    "stored, docstrings (baseline)": OLD_ZIP,
    "deflated (zlib 9)": [*OLD_ZIP, "--compression", "deflated"],
    "docstrings stripped": ["--keep", "_pydatetime.py", "--keep", "_pyrepl/"],
    "edge trim (_pydatetime, _pyrepl)": ["--docstrings", "keep"],
    "stripped + trim (as built)": [],
    "stripped + trim, deflated": ["--compression", "deflated"],
    "stripped + trim + pydoc/pdb/doctest": ["--exclude", "pydoc.py", "--exclude", "pdb.py", "--exclude", "doctest.py"],
}

# Imports timed in the CLI: a web-ish working set that is not frozen into python.wasm.
IMPORTS = ("json, re, datetime, decimal, email.message, email.parser, http.client, urllib.parse, "
           "logging, dataclasses, typing, asyncio, xml.etree.ElementTree, uuid, base64, hashlib, zipfile")
# Then a small CPU-bound workload (pure-Python loop, json round trip, regex, sort): what C -Os could cost.
IMPORT_SCRIPT = f"""import time
t = time.perf_counter()
import {IMPORTS}
print((time.perf_counter() - t) * 1000)
doc = {{"items": [{{"id": i, "name": f"item {{i}}", "tags": ["a", "b", str(i)], "price": i * 1.25}} for i in range(200)]}}
best = 1e9
for _ in range(3):  # the best of 3: less noise from other jobs and from V8 tiering up
    t = time.perf_counter()
    n = 0
    for i in range(60000):
        n += i * i % 7
    for _ in range(20):
        s = json.dumps(doc)
        json.loads(s)
        re.findall(r"item (\\d+)", s)
        sorted(doc["items"], key=lambda x: -x["price"])
    best = min(best, time.perf_counter() - t)
print(best * 1000)
"""


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9, mtime=0))


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


class Runtime:
    def __init__(self) -> None:
        out = subprocess.run([str(RUNTIME_SRC / "build.sh")], check=True, capture_output=True, text=True).stdout
        self.dir = Path(out.strip()).resolve()
        self.manifest = json.loads((self.dir / "manifest.json").read_text())
        self.info = json.loads((self.dir.parent / f"{self.manifest['key']}.build.json").read_text())

    def wasm_opt(self, args: list[str], out: Path, raw: Path | None = None) -> None:
        env = dict(os.environ, LD_LIBRARY_PATH=self.info["wasm_opt_libs"])
        tmp = out.with_suffix(".tmp")
        subprocess.run([self.info["wasm_opt"], str(raw or self.info["raw_wasm"]), *args, "-o", str(tmp)],
                       check=True, capture_output=True, env=env)
        py = self.info["build_python"]
        subprocess.run([py, "-I", str(RUNTIME_SRC / "growable_table.py"), str(tmp)], check=True, capture_output=True)
        if "--asyncify" in args:
            subprocess.run([py, "-I", str(RUNTIME_SRC / "asyncify_exports.py"), str(tmp)], check=True, capture_output=True)
        tmp.rename(out)

    def mkstdlib(self, args: list[str], out: Path) -> None:
        i = self.info
        tmp = out.with_suffix(".tmp.zip")
        subprocess.run([i["build_python"], "-I", str(RUNTIME_SRC / "mkstdlib.py"), "--lib", i["lib_dir"],
                        "--sysconfigdata", i["sysconfigdata"], "--path-map", f"{i['cache']}=/pymode-cache",
                        "--mtime", str(i["source_date_epoch"]), "--out", str(tmp), *args],
                       check=True, capture_output=True)
        tmp.rename(out)


def key(*parts) -> str:
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:12]


def node() -> list[str]:
    return ["node", "--no-warnings", "--stack-size=4000"]


def run_cpu(cmd: list[str]) -> tuple[subprocess.CompletedProcess, float]:
    """Run a child; also return its CPU ms (user + sys, every thread: V8's compile threads included).
    Unlike wall time this hardly moves when other jobs load the machine."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(cmd, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return p, ((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)) * 1000


def host_run(wasm: Path, libdir: Path, requests: int) -> dict:
    cmd = [*node(), str(RUNTIME_SRC / "pymode-host.mjs"), "--wasm", str(wasm),
           "--dir", f"{libdir}::/lib", "--dir", f"{FIXTURES / 'site'}::/lib/site", "--dir", f"{FIXTURES / 'app'}::/app",
           "--env", "PYTHONHOME=/", "--env", "PYTHONPATH=/lib/site:/app", "--env", "PYMODE_ENTRY=src/entry.py",
           *[json.dumps({"url": "/echo"})] * requests]
    p, cpu = run_cpu(cmd)
    if p.returncode != 0:
        raise SystemExit(f"pymode-host failed ({p.returncode}) for {wasm}:\n{p.stderr[-2000:]}")
    lines = [json.loads(x) for x in p.stdout.splitlines() if x.startswith("{")]
    reqs, summary = lines[:-1], lines[-1]
    if any(r["status"] != 200 for r in reqs):
        raise SystemExit(f"a request failed for {wasm}: {reqs}")
    warm = [r["ms"] for r in reqs[5:]] or [r["ms"] for r in reqs]
    return {"init": summary["init_ms"], "first": reqs[0]["ms"], "warm": statistics.median(warm), "host_cpu": cpu}


def import_run(wasm: Path, libdir: Path) -> dict:
    cmd = [*node(), str(RUNTIME_SRC / "wasi-run.mjs"), "--dir", f"{libdir}::/lib", "--env", "PYTHONHOME=/",
           str(wasm), "-c", IMPORT_SCRIPT]
    p, cpu = run_cpu(cmd)
    if p.returncode != 0:
        raise SystemExit(f"imports failed ({p.returncode}) for {wasm}:\n{p.stderr[-2000:]}")
    imports, compute = map(float, p.stdout.strip().splitlines()[-2:])
    return {"imports": imports, "compute": compute, "cli_cpu": cpu}


METRICS = ("init", "first", "warm", "host_cpu", "imports", "compute", "cli_cpu")


def file_sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


class Cases:
    """Every (wasm, zip) pair to time; identical files are timed once. The runs are interleaved (run 1 of
    every case, then run 2, ...), so a change in the machine's load spreads over all rows alike."""

    def __init__(self, work: Path, dynload: Path) -> None:
        # the runtime's side modules (lib-dynload/: xml.etree and the CJK codecs import from there;
        # wasi-run.mjs links them), beside every zip as the hosts map them
        self.work, self.dynload, self.cases, self.rows = work, dynload, {}, []

    def add(self, group: str, label: str, wasm: Path, zip_path: Path) -> None:
        k = (file_sha(wasm), file_sha(zip_path))
        if k not in self.cases:
            libdir = self.work / f"lib-{k[1][:12]}"
            libdir.mkdir(exist_ok=True)
            dst = libdir / "python313.zip"
            if not dst.is_file() or file_sha(dst) != k[1]:
                # A copy, not a symlink: node's WASI does not follow a symlink out of a preopened directory.
                shutil.copyfile(zip_path, dst)
            if self.dynload.is_dir() and not (libdir / "python3.13" / "lib-dynload").is_dir():
                shutil.copytree(self.dynload, libdir / "python3.13" / "lib-dynload")
            self.cases[k] = {"wasm_path": wasm, "libdir": libdir,
                             "wasm": wasm.stat().st_size, "wasm_gz": gz(wasm.read_bytes()),
                             "zip": zip_path.stat().st_size, "zip_gz": gz(zip_path.read_bytes()),
                             **{k: [] for k in METRICS}}
        self.rows.append((group, label, k))

    def run(self, runs: int, requests: int) -> None:
        for c in self.cases.values():  # one untimed round: file cache, node's compile cache
            host_run(c["wasm_path"], c["libdir"], 2)
        for i in range(runs):
            log(f"round {i + 1}/{runs} over {len(self.cases)} cases")
            for c in self.cases.values():
                r = host_run(c["wasm_path"], c["libdir"], requests)
                r.update(import_run(c["wasm_path"], c["libdir"]))
                for k in METRICS:
                    c[k].append(r[k])

    def print(self) -> None:
        groups: dict[str, list] = {}
        for group, label, k in self.rows:
            groups.setdefault(group, []).append((label, self.cases[k]))
        for title, rows in groups.items():
            base = rows[0][1]
            print(f"\n{title}")
            print(f"{'variant':36} {'wasm':>10} {'wasm gz':>10} {'zip':>10} {'zip gz':>10} {'sum gz':>10} {'Δ gz':>9}"
                  f" {'init ms':>13} {'1st req':>7} {'warm':>6} {'host cpu':>8} {'imports ms':>13} {'compute':>13} {'cli cpu':>7}")
            for label, r in rows:
                total = r["wasm_gz"] + r["zip_gz"]
                delta = total - (base["wasm_gz"] + base["zip_gz"])
                med = statistics.median
                print(f"{label[:36]:36} {r['wasm']:>10,} {r['wasm_gz']:>10,} {r['zip']:>10,} {r['zip_gz']:>10,} {total:>10,}"
                      f" {delta:>+9,} {med(r['init']):>6.1f} ({min(r['init']):>4.0f}) {med(r['first']):>7.1f}"
                      f" {med(r['warm']):>6.3f} {med(r['host_cpu']):>8.0f} {med(r['imports']):>6.1f} ({min(r['imports']):>4.0f})"
                      f" {med(r['compute']):>6.1f} ({min(r['compute']):>4.0f}) {med(r['cli_cpu']):>7.0f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--requests", type=int, default=30)
    ap.add_argument("--asyncify", action="store_true")
    ap.add_argument("--groups", default="1,2,3", help="which tables to measure (1 wasm-opt/cross, 2 zip, 3 asyncify)")
    ap.add_argument("--work", type=Path, default=CACHE / "bench" / "variants")
    ap.add_argument("--raw", action="append", default=[], metavar="LABEL=PATH",
                    help="also a python-noasync.wasm (-O2) from another cross build's unoptimised python.wasm")
    args = ap.parse_args()

    rt = Runtime()
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    raw_key = key(rt.info["raw_wasm"], os.path.getsize(rt.info["raw_wasm"]), os.path.getmtime(rt.info["raw_wasm"]))

    def wasm_variant(opt: list[str], asyncify: bool, raw: Path | None = None) -> Path:
        full = [*FEATURES, "--strip-dwarf", *(ASYNCIFY if asyncify else []), *opt, "--strip-debug"]
        rk = raw_key if raw is None else file_sha(raw)
        out = work / f"python-{key(rk, full, (RUNTIME_SRC / 'growable_table.py').read_bytes().hex())}.wasm"
        if not out.exists():
            log(f"wasm-opt {' '.join(opt)}{' --asyncify' if asyncify else ''} {raw or ''} -> {out.name}")
            t = time.perf_counter()
            rt.wasm_opt(full, out, raw)
            log(f"  {time.perf_counter() - t:.0f} s")
        return out

    def zip_variant(zargs: list[str]) -> Path:
        out = work / f"stdlib-{key(rt.info['lib_dir'], zargs, (RUNTIME_SRC / 'mkstdlib.py').read_bytes().hex())}.zip"
        if not out.exists():
            log(f"mkstdlib {' '.join(zargs)} -> {out.name}")
            rt.mkstdlib(zargs, out)
        return out

    # Build everything first (one heavy process at a time), then measure.
    base_zip = zip_variant(ZIP_VARIANTS["stored, docstrings (baseline)"])
    noasync = {label: wasm_variant(opt, False) for label, opt in WASM_VARIANTS.items()}
    zips = {label: zip_variant(z) for label, z in ZIP_VARIANTS.items()}
    asyncs = {label: wasm_variant(opt, True) for label, opt in ASYNC_VARIANTS.items()} if args.asyncify else {}
    raws = {}
    for spec in args.raw:
        label, _, path = spec.partition("=")
        raws[f"{label} (cross build), -O2"] = wasm_variant(WASM_VARIANTS["-O2 (baseline)"], False, Path(path))

    base_noasync = noasync["-O2 (baseline)"]
    groups = set(args.groups.split(","))
    cases = Cases(work, rt.dir / "lib-dynload")
    g1 = "1. wasm-opt settings, python-noasync.wasm (the JSPI build), with the baseline zip"
    if "1" in groups:
        for label, wasm in noasync.items():
            cases.add(g1, label, wasm, base_zip)
        for label, wasm in raws.items():
            cases.add(g1, label, wasm, base_zip)
        cases.add(g1, "as built: python-noasync.wasm", rt.dir / "python-noasync.wasm", base_zip)
    g2 = "2. stdlib zip, with python-noasync.wasm -O2"
    if "2" in groups:
        for label, z in zips.items():
            cases.add(g2, label, base_noasync, z)
        cases.add(g2, "as built: python313.zip", base_noasync, rt.dir / "python313.zip")
    if asyncs and "3" in groups:
        g3 = "3. wasm-opt settings, python.wasm (the Asyncify build), with the baseline zip"
        for label, wasm in asyncs.items():
            cases.add(g3, label, wasm, base_zip)
        cases.add(g3, "as built: python.wasm", rt.dir / "python.wasm", base_zip)
    cases.run(args.runs, args.requests)

    m = rt.manifest
    print(f"PyMode runtime {m['key']} (CPython {m['python']}), node {subprocess.run(['node', '--version'], capture_output=True, text=True).stdout.strip()},"
          f" {args.runs} interleaved runs x {args.requests} requests, load {os.getloadavg()[0]:.1f}")
    print("sizes in bytes (gzip -9); sum gz = wasm gz + zip gz; Δ gz against the group's first row (the baseline)")
    print("init / 1st req / warm: pymode-host.mjs in process (fixture app), ms, median (min) over the runs; warm = median of requests 6..N;")
    print("host cpu: CPU ms (user+sys, all threads) of that whole node process; cli cpu: the same for the CLI process below")
    print(f"imports ms: CLI (_start) in-guest wall time of `import {IMPORTS}`;")
    print("compute: then a CPU-bound loop / json / re / sort workload, in-guest wall ms (best of 3 in the process)")
    cases.print()

    total = (gz((rt.dir / "python-noasync.wasm").read_bytes()), gz((rt.dir / "python313.zip").read_bytes()))
    print(f"\nas built, python-noasync.wasm + python313.zip gzip: {total[0]:,} + {total[1]:,} = {sum(total):,}"
          f" (targets: core <= 1,800,000; upload <= 3,000,000 with the project)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
