#!/usr/bin/env python3
"""The builder a PyMode build runs: as a Kubernetes Job in a cluster, as a local process elsewhere.

    pymode_build.py worker  --source DIR --entry PATH [--package REQ]... --runtime-ref REF | --runtime-dir DIR
                            [--wizer] [--compat-date D] --push REPO:TAG [--annotation K=V]... [--work DIR]
    pymode_build.py runtime --runtime-dir DIR --push REPO:TAG [--annotation K=V]...

`worker` turns a project into a worker bundle (worker/README.md "Bundle format"): resolves pure-Python
packages for the wasm target (wheels only, hashes recorded in pymode.lock), bundles project + pylib +
packages + runtime with worker/scripts/bundle.mjs, optionally pre-initialises with Wizer, and pushes the
bundle as an OCI 1.1 artifact (one layer per file). `runtime` publishes a built runtime directory.

The result goes to stdout as the last line, JSON: {"ref": "repo@sha256:...", "digest": ..., "files": {...}};
in a pod it is also the container's termination message. Errors exit non-zero with the failing tool's output.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(os.environ.get("PYMODE_REPO", Path(__file__).resolve().parents[2]))
TERMINATION_LOG = Path("/dev/termination-log")

BUNDLE_ARTIFACT_TYPE = "application/vnd.pymode.worker.bundle.v1"
RUNTIME_ARTIFACT_TYPE = "application/vnd.pymode.runtime.v1"
MEDIA_TYPES = {
    ".wasm": "application/wasm",
    ".js": "application/javascript+module",
    ".json": "application/json",
    ".zip": "application/zip",
    ".pvfs": "application/vnd.pymode.pvfs",
    ".lock": "text/plain",
}
# Fixed so equal inputs give byte-identical manifests (oras would stamp the push time).
CREATED = os.environ.get("PYMODE_ARTIFACT_CREATED", "1970-01-01T00:00:00Z")


class BuildError(Exception):
    """A build step failed; the message is what the user sees in the worker's status."""


def log(message: str) -> None:
    print(f"[pymode-build] {message}", file=sys.stderr, flush=True)


def run(argv: list[str], *, cwd: Path | None = None, what: str) -> str:
    log("$ " + " ".join(argv))
    proc = subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    sys.stderr.write(proc.stdout)
    if proc.returncode != 0:
        tail = "\n".join(proc.stdout.strip().splitlines()[-25:])
        raise BuildError(f"{what} failed (exit {proc.returncode}):\n{tail}")
    return proc.stdout


def oras() -> str:
    return os.environ.get("PYMODE_ORAS") or shutil.which("oras") or "oras"


def oras_flags() -> list[str]:
    # Registries on loopback (tests, the embedded default) speak plain HTTP.
    return ["--plain-http"] if os.environ.get("PYMODE_REGISTRY_PLAIN_HTTP") == "1" else []


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def push(directory: Path, files: list[str], ref: str, artifact_type: str, annotations: dict[str, str]) -> dict:
    """Pushes files (one layer each) as an OCI 1.1 artifact; returns the result record."""
    argv = [oras(), "push", *oras_flags(), ref, "--artifact-type", artifact_type,
            "--annotation", f"org.opencontainers.image.created={CREATED}"]
    for key, value in sorted(annotations.items()):
        argv += ["--annotation", f"{key}={value}"]
    for name in files:
        argv.append(f"{name}:{MEDIA_TYPES.get(Path(name).suffix, 'application/octet-stream')}")
    out = run(argv, cwd=directory, what="oras push")
    match = re.search(r"Digest:\s*(sha256:[0-9a-f]{64})", out)
    if not match:
        raise BuildError(f"oras push printed no digest:\n{out}")
    repo = ref.rsplit(":", 1)[0] if "@" not in ref else ref.split("@")[0]
    sizes = {name: (directory / name).stat().st_size for name in files}
    return {"ref": f"{repo}@{match.group(1)}", "digest": match.group(1), "files": sizes,
            "totalBytes": sum(sizes.values())}


def pull(ref: str, dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    run([oras(), "pull", *oras_flags(), ref, "-o", str(dest)], what=f"oras pull {ref}")


def resolve_packages(requirements: list[str], work: Path) -> Path:
    """Resolves pure-Python wheels for CPython 3.13 (any platform) into a site dir with a hash lock."""
    site = work / "site"
    site.mkdir(parents=True, exist_ok=True)
    if not requirements:
        return site
    wheels = work / "wheels"
    target = ["--only-binary=:all:", "--platform", "any", "--python-version", "3.13",
              "--implementation", "py", "--abi", "none"]
    try:
        run([sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "--no-input",
             "-d", str(wheels), *target, *requirements], what="pip download (pure-Python wheels for wasm32)")
    except BuildError as e:
        raise BuildError(f"{e}\nOnly pure-Python wheels can run in python.wasm; C extensions are built as "
                         f"PyModeExtension side modules.") from None
    found = sorted(wheels.glob("*.whl"))
    run([sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "--no-deps", "--no-index",
         "--no-compile", "--target", str(site), *target, *map(str, found)], what="pip install --target")
    for junk in site.glob("*.dist-info/RECORD"):
        junk.unlink()  # paths + hashes of files we ship anyway; drop for reproducibility
    lock = "".join(f"{w.name} --hash=sha256:{sha256_file(w)}\n" for w in found)
    (work / "pymode.lock").write_text(lock)
    log(f"resolved {len(found)} wheels")
    return site


def build_worker(args: argparse.Namespace) -> dict:
    work = Path(args.work or tempfile.mkdtemp(prefix="pymode-build-"))
    work.mkdir(parents=True, exist_ok=True)
    source = Path(args.source)
    if not (source / args.entry).is_file():
        raise BuildError(f"entry module {args.entry} not found in the source")
    if args.runtime_ref:
        runtime = work / "runtime"
        pull(args.runtime_ref, runtime)
    else:
        runtime = Path(args.runtime_dir)
    for needed in ("python.wasm", "python313.zip"):
        if not (runtime / needed).is_file():
            raise BuildError(f"runtime has no {needed} ({runtime})")
    site = resolve_packages(args.package, work)

    out = work / "bundle"
    shutil.rmtree(out, ignore_errors=True)
    bundler = REPO / "worker" / "scripts" / "bundle.mjs"
    if not (REPO / "worker" / "node_modules" / "esbuild").is_dir():
        raise BuildError(f"{REPO / 'worker'} has no node_modules: run `npm ci` there (the builder image has it)")
    argv = ["node", str(bundler), "--project", str(source), "--runtime", str(runtime), "--pylib",
            str(REPO / "pylib"), "--site", str(site), "--entry", args.entry, "--out", str(out)]
    if args.compat_date:
        argv += ["--compat-date", args.compat_date]
    if args.wizer:
        snapshot = work / "python.wizer.wasm"
        merged_site = work / "site-with-pylib"
        shutil.rmtree(merged_site, ignore_errors=True)
        shutil.copytree(site, merged_site)
        shutil.copytree(REPO / "pylib" / "pymode", merged_site / "pymode",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        run(["bash", str(REPO / "builder-image" / "runtime" / "snapshot.sh"), "--wasm", str(runtime / "python.wasm"),
             "--stdlib", str(runtime / "python313.zip"), "--site", str(merged_site), "--app", str(source),
             "--entry", args.entry, "-o", str(snapshot)], what="wizer snapshot")
        argv += ["--wasm", str(snapshot)]
    run(argv, what="bundle (worker/scripts/bundle.mjs)")
    lock = work / "pymode.lock"
    if lock.exists():
        shutil.copy(lock, out / "pymode.lock")
    files = sorted(p.name for p in out.iterdir() if p.is_file())
    return push(out, files, args.push, BUNDLE_ARTIFACT_TYPE, parse_annotations(args.annotation))


def publish_runtime(args: argparse.Namespace) -> dict:
    runtime = Path(args.runtime_dir).resolve()
    files = [name for name in ("python.wasm", "python313.zip", "manifest.json") if (runtime / name).is_file()]
    if "python.wasm" not in files or "python313.zip" not in files:
        raise BuildError(f"{runtime} is not a built runtime (needs python.wasm and python313.zip)")
    return push(runtime, files, args.push, RUNTIME_ARTIFACT_TYPE, parse_annotations(args.annotation))


def parse_annotations(pairs: list[str]) -> dict[str, str]:
    annotations = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise BuildError(f"annotation {pair!r} is not KEY=VALUE")
        annotations[key] = value
    return annotations


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pymode_build.py", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    worker = sub.add_parser("worker", help="build and push a worker bundle")
    worker.add_argument("--source", required=True)
    worker.add_argument("--entry", required=True)
    worker.add_argument("--package", action="append", default=[])
    runtime_from = worker.add_mutually_exclusive_group(required=True)
    runtime_from.add_argument("--runtime-ref")
    runtime_from.add_argument("--runtime-dir")
    worker.add_argument("--wizer", action="store_true")
    worker.add_argument("--compat-date")
    worker.add_argument("--push", required=True)
    worker.add_argument("--annotation", action="append", default=[])
    worker.add_argument("--work")
    runtime = sub.add_parser("runtime", help="publish a built runtime directory")
    runtime.add_argument("--runtime-dir", required=True)
    runtime.add_argument("--push", required=True)
    runtime.add_argument("--annotation", action="append", default=[])
    args = parser.parse_args(argv)
    try:
        result = build_worker(args) if args.command == "worker" else publish_runtime(args)
    except BuildError as e:
        message = f"build failed: {e}"
        print(message, file=sys.stderr, flush=True)
        write_termination_message(message[-4000:])
        return 1
    line = json.dumps(result, sort_keys=True)
    write_termination_message(line)
    print(line, flush=True)
    return 0


def write_termination_message(text: str) -> None:
    # Kubernetes shows this file as the container's termination message (kept short: 4 KiB limit).
    if TERMINATION_LOG.parent.is_dir() and os.access(TERMINATION_LOG.parent, os.W_OK):
        try:
            TERMINATION_LOG.write_text(text)
        except OSError:
            pass


if __name__ == "__main__":
    sys.exit(main())
