"""`pymode init` and the installed `pymode` command."""

import importlib.metadata
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from pymode.cli import yamlio
from pymode.cli.main import main

from .conftest import REPO


def test_init_writes_the_hello_worker_layout(tmp_path, capsys):
    assert main(["init", str(tmp_path / "my_app")]) == 0
    root = tmp_path / "my_app"
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    assert files == [".gitignore", "kustomization.yaml", "pyproject.toml", "src/entry.py", "worker.yaml"]

    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    assert pyproject["project"]["name"] == "my_app"
    assert pyproject["project"]["dependencies"] == []
    assert pyproject["tool"]["pymode"]["main"] == "src/entry.py"

    ignored = (root / ".gitignore").read_text().splitlines()
    assert ".dev.vars" in ignored and ".pymode/" in ignored

    # worker.yaml and kustomization.yaml follow examples/hello-worker, with a DNS-safe name.
    (worker,) = yamlio.load_all((root / "worker.yaml").read_text())
    (example,) = yamlio.load_all((REPO / "examples/hello-worker/worker.yaml").read_text())
    assert worker["metadata"]["name"] == "my-app"
    assert worker["spec"]["source"] == {"configMapRef": {"name": "my-app-source"}}
    assert worker["spec"]["cloudflare"] == example["spec"]["cloudflare"]
    assert (worker["apiVersion"], worker["kind"]) == (example["apiVersion"], example["kind"])
    (kustomization,) = yamlio.load_all((root / "kustomization.yaml").read_text())
    (example_k,) = yamlio.load_all((REPO / "examples/hello-worker/kustomization.yaml").read_text())
    assert kustomization["configMapGenerator"] == [
        {"name": "my-app-source", "files": ["pyproject.toml", "src--entry.py=src/entry.py"]}]
    assert {k: v for k, v in kustomization.items() if k != "configMapGenerator"} == \
        {k: v for k, v in example_k.items() if k != "configMapGenerator"}
    assert "pymode dev" in capsys.readouterr().out


def test_init_entry_is_a_working_handler(tmp_path, host):
    from pymode import _abi, _handler

    def serve(url):
        meta = {"method": "GET", "url": url, "headers": []}
        fields = _abi.decode_frames(_handler.handle(_abi.encode_frames(b"request", _abi.dump_json(meta), b"")))
        return json.loads(fields[0])["status"], None, fields[1]

    assert main(["init", str(tmp_path / "h")]) == 0
    try:
        _handler.load("src/entry.py", root=str(tmp_path / "h"))
        assert serve(url="https://x.test/")[::2] == (200, b"Hello from PyMode!")
        assert serve(url="https://x.test/greet?name=Bo")[::2] == (200, b"Hello, Bo!")
    finally:
        _handler._unload()


def test_init_refuses_a_non_empty_directory(tmp_path, capsys):
    target = tmp_path / "busy"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    assert main(["init", str(target)]) == 1
    assert "exists and is not empty" in capsys.readouterr().err
    assert os.listdir(target) == ["notes.txt"]
    assert (target / "notes.txt").read_text() == "mine"


def test_init_accepts_an_empty_directory_and_checks_the_name(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["init", str(tmp_path / "empty")]) == 0
    assert (tmp_path / "empty/src/entry.py").is_file()
    assert main(["init", str(tmp_path / "x"), "--name", "bad name!"]) == 1
    assert "may use only letters" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def _installed():
    """The pymode distribution pip installed into this interpreter's environment
    (not a stale egg-info of the source tree), or None."""
    prefix = os.path.realpath(sys.prefix) + os.sep
    for dist in importlib.metadata.distributions(name="pymode"):
        if os.path.realpath(str(dist.locate_file(""))).startswith(prefix):
            return dist
    return None


@pytest.mark.skipif(not _installed(), reason="pymode is not pip-installed in this environment")
def test_pip_install_provides_the_pymode_command(tmp_path):
    command = Path(sys.executable).parent / "pymode"
    assert command.is_file(), f"{command} missing: reinstall pylib (pip install -e pylib)"
    result = subprocess.run([str(command), "init", str(tmp_path / "via-script")], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "via-script" / "worker.yaml").is_file()
    result = subprocess.run([str(command), "--version"], stdout=subprocess.PIPE, text=True, timeout=60)
    assert result.stdout.strip() == "pymode 0.1.0"
