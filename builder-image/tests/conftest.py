"""Shared fixtures for the runtime tests: the built runtime, and helpers that run python.wasm
under node:wasi (CLI `_start`) or through the request path (pymode-host.mjs)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
RUNTIME_SRC = HERE.parent / "runtime"
FIXTURES = HERE / "fixtures"
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pymode"

sys.path.insert(0, str(RUNTIME_SRC))
import wasminfo  # noqa: E402


@pytest.fixture(scope="session")
def runtime() -> Path:
    d = Path(os.environ.get("PYMODE_TEST_RUNTIME") or CACHE / "runtime" / "current")
    if not (d / "manifest.json").is_file():
        pytest.fail(f"no runtime at {d}: run builder-image/runtime/build.sh (builder-image/test.sh does)")
    return d


@pytest.fixture(scope="session")
def manifest(runtime) -> dict:
    return json.loads((runtime / "manifest.json").read_text())


@pytest.fixture(scope="session")
def build_info(manifest) -> dict:
    p = CACHE / "runtime" / f"{manifest['key']}.build.json"
    if not p.is_file():
        pytest.fail(f"{p} missing (written by build.sh next to the outputs)")
    return json.loads(p.read_text())


@pytest.fixture(scope="session")
def libdir(runtime, tmp_path_factory) -> Path:
    """The /lib the hosts give python.wasm: python313.zip and the runtime's side modules in
    python3.13/lib-dynload (no Lib/ tree anywhere)."""
    d = tmp_path_factory.mktemp("lib")
    shutil.copyfile(runtime / "python313.zip", d / "python313.zip")
    shutil.copytree(runtime / "lib-dynload", d / "python3.13" / "lib-dynload")
    return d


class WasiRunner:
    def __init__(self, runtime: Path, libdir: Path):
        self.runtime, self.libdir = runtime, libdir

    def run(self, *args: str, wasm: str = "python.wasm", dirs: dict | None = None,
            env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
        cmd = ["node", "--no-warnings", "--stack-size=4000", str(RUNTIME_SRC / "wasi-run.mjs"),
               "--dir", f"{self.libdir}::/lib"]
        for guest, host in (dirs or {}).items():
            cmd += ["--dir", f"{host}::{guest}"]
        for k, v in {"PYTHONHOME": "/", **(env or {})}.items():
            cmd += ["--env", f"{k}={v}"]
        cmd += [str(self.runtime / wasm), *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)

    def py(self, code: str, **kw) -> str:
        """Run `python -c code`; fail the test with the guest's stderr unless it exits 0."""
        p = self.run("-c", code, **kw)
        assert p.returncode == 0, f"exit {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}"
        return p.stdout


@pytest.fixture(scope="session")
def wasi(runtime, libdir) -> WasiRunner:
    return WasiRunner(runtime, libdir)


def run_host(wasm: Path, libdir: Path, requests: list[dict], *, app: Path = FIXTURES / "app",
             site: Path = FIXTURES / "site", entry: str = "src/entry.py", init: bool = True,
             kv: dict | None = None, env: dict | None = None, timeout: float = 120):
    """Drive pymode_init/pymode_handle through builder-image/runtime/pymode-host.mjs.
    Returns (responses, summary, stderr)."""
    cmd = ["node", "--no-warnings", "--stack-size=4000", str(RUNTIME_SRC / "pymode-host.mjs"),
           "--wasm", str(wasm),
           # same preopen order as snapshot.sh and the worker: /lib, /lib/site, /app
           "--dir", f"{libdir}::/lib", "--dir", f"{site}::/lib/site", "--dir", f"{app}::/app",
           "--env", "PYTHONHOME=/", "--env", "PYTHONPATH=/lib/site:/app", "--env", f"PYMODE_ENTRY={entry}"]
    for k, v in (kv or {}).items():
        cmd += ["--kv", f"{k}={v}"]
    for k, v in (env or {}).items():
        cmd += ["--env", f"{k}={v}"]
    if not init:
        cmd.append("--no-init")
    cmd += [json.dumps(r) for r in requests]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    assert p.returncode == 0, f"host exit {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}"
    lines = [json.loads(line) for line in p.stdout.splitlines() if line.startswith("{")]
    return lines[:-1], lines[-1], p.stderr
