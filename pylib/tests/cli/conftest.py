"""Helpers for the CLI tests: projects on disk, `pymode dev` in a subprocess, HTTP."""

import http.client
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
import urllib.parse
from pathlib import Path

import pytest

from pymode.cli import yamlio

PYLIB = Path(__file__).resolve().parents[2]
REPO = PYLIB.parent


def write_files(root, files):
    for name, text in files.items():
        path = Path(root) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text))
    return Path(root)


def worker_yaml(bindings):
    """The worker.yaml of a project `p` whose spec.bindings is `bindings` (YAML, indented or not)."""
    return ("apiVersion: pymode.dev/v1alpha1\nkind: PyModeWorker\nmetadata: {name: p}\nspec:\n"
            "  source: {configMapRef: {name: p-source}}\n  bindings:\n"
            + textwrap.indent(textwrap.dedent(bindings), "    "))


def kubectl_read(directory, text):
    """The documents of `text` as kubectl's own YAML reader sees them (kustomize, offline, re-emits them),
    or None without kubectl."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        return None
    directory.mkdir(parents=True)
    (directory / "resources.yaml").write_text(text)
    (directory / "kustomization.yaml").write_text("resources:\n  - resources.yaml\n")
    result = subprocess.run([kubectl, "kustomize", str(directory)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return yamlio.load_all(result.stdout)


def request(url, method="GET", headers=None, body=None, timeout=10):
    """One HTTP request -> (status, {lower-case name: value}, body bytes)."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data
    finally:
        conn.close()


class DevProcess:
    """`python -m pymode.cli dev` on a free port; stdout/stderr go to files."""

    def __init__(self, project, args, tmp_path):
        self.project = Path(project)
        self.out_path = tmp_path / f"dev-{id(self)}.out"
        self.err_path = tmp_path / f"dev-{id(self)}.err"
        env = dict(os.environ, PYTHONPATH=str(PYLIB), PYTHONUNBUFFERED="1")
        env.pop("PYMODE_BINDINGS", None)
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # write .pyc files, as a user's Python does
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "pymode.cli", "dev", str(project), "--port", "0", *args],
                stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env, cwd=str(tmp_path))
        self.url = None

    def wait_ready(self, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = re.search(r"listening on (http://\S+)", self.stdout)
            if match:
                self.url = match.group(1)
                return self
            if self.proc.poll() is not None:
                raise AssertionError(f"pymode dev exited with {self.proc.returncode}:\n{self.stdout}\n{self.stderr}")
            time.sleep(0.05)
        raise AssertionError(f"pymode dev did not start:\n{self.stdout}\n{self.stderr}")

    @property
    def stdout(self):
        return self.out_path.read_text(errors="replace")

    @property
    def stderr(self):
        return self.err_path.read_text(errors="replace")

    def get(self, path, **kwargs):
        return request(self.url + path, **kwargs)

    def wait_for(self, predicate, timeout=15, what="condition"):
        """Poll until predicate() is truthy (used after editing files)."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = predicate()
            if last:
                return last
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}; last={last!r}\nstdout:\n{self.stdout}\n"
                             f"stderr:\n{self.stderr}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def dev(tmp_path):
    """dev(project, *args) starts `pymode dev` and waits until it listens."""
    started = []

    def start(project, *args, ready=True):
        process = DevProcess(project, args, tmp_path)
        started.append(process)
        return process.wait_ready() if ready else process

    yield start
    for process in started:
        process.stop()


def run_cli(args, cwd=None, env=None, timeout=120):
    """The CLI as a subprocess -> CompletedProcess (text)."""
    full_env = dict(os.environ, PYTHONPATH=str(PYLIB), **(env or {}))
    return subprocess.run([sys.executable, "-m", "pymode.cli", *args], cwd=cwd, env=full_env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout)
