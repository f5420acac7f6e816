"""How the builder pushes artifacts (bundler/pymode_build.py push, publish_runtime, main), with a stand-in `oras`
(PYMODE_ORAS) that records its argv: one layer per file with its media type, a directory as one packed layer,
fixed creation time and sorted annotations (equal inputs, equal manifests), the digest read back into a ref, and
oras' failures as build failures."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "builder-image" / "bundler"))
import pymode_build as b  # noqa: E402

DIGEST = "sha256:" + "ab" * 32

FAKE_ORAS = """#!{python}
import json, os, sys
with open(os.environ["FAKE_ORAS_LOG"], "a") as f:
    f.write(json.dumps({{"argv": sys.argv[1:], "cwd": os.getcwd()}}) + "\\n")
mode = os.environ.get("FAKE_ORAS_MODE", "ok")
if mode == "fail":
    print("\\n".join(f"noise {{i}}" for i in range(40)))
    print("Error: unauthorized")
    sys.exit(1)
print("Uploading ..." if mode == "nodigest" else "Pushed [registry] x\\nDigest: {digest}")
"""


@pytest.fixture
def oras(tmp_path, monkeypatch):
    script = tmp_path / "oras"
    script.write_text(FAKE_ORAS.format(python=sys.executable, digest=DIGEST))
    script.chmod(0o755)
    calls = tmp_path / "oras.log"
    monkeypatch.setenv("PYMODE_ORAS", str(script))
    monkeypatch.setenv("FAKE_ORAS_LOG", str(calls))
    monkeypatch.delenv("PYMODE_REGISTRY_PLAIN_HTTP", raising=False)
    monkeypatch.setattr(b, "TERMINATION_LOG", tmp_path / "termination-log")
    return lambda: [json.loads(line) for line in calls.read_text().splitlines()]


def _bundle(tmp_path: Path) -> Path:
    d = tmp_path / "bundle"
    (d / "lib-dynload").mkdir(parents=True)
    (d / "lib-dynload" / "unicodedata.so").write_bytes(b"\0asm")
    (d / "python.wasm").write_bytes(b"\0asm....")
    (d / "bundle.json").write_text("{}")
    (d / "pymode.lock").write_text("six==1.17.0\n")
    (d / "blob.bin").write_bytes(b"12")
    return d


def test_each_file_is_a_layer_with_its_media_type_and_a_directory_one_packed_layer(tmp_path, oras):
    d = _bundle(tmp_path)
    result = b.push(d, ["python.wasm", "bundle.json", "pymode.lock", "blob.bin", "lib-dynload"],
                    "127.0.0.1:5000/pymode/bundles:bk-1", b.BUNDLE_ARTIFACT_TYPE, {"z": "last", "a": "first"})
    [call] = oras()
    argv = call["argv"]
    assert call["cwd"] == str(d)
    assert argv[:4] == ["push", "127.0.0.1:5000/pymode/bundles:bk-1", "--artifact-type", b.BUNDLE_ARTIFACT_TYPE]
    annotations = [argv[i + 1] for i, a in enumerate(argv) if a == "--annotation"]
    # a fixed creation time and sorted annotations: equal inputs give byte-identical manifests
    assert annotations == [f"org.opencontainers.image.created={b.CREATED}", "a=first", "z=last"]
    assert argv[-5:] == ["python.wasm:application/wasm", "bundle.json:application/json", "pymode.lock:text/plain",
                         "blob.bin:application/octet-stream", "lib-dynload"]
    assert result["ref"] == "127.0.0.1:5000/pymode/bundles@" + DIGEST
    assert result["files"] == {"python.wasm": 8, "bundle.json": 2, "pymode.lock": 12, "blob.bin": 2, "lib-dynload": 4}
    assert result["totalBytes"] == 28


def test_a_loopback_registry_is_spoken_to_in_plain_http(tmp_path, oras, monkeypatch):
    monkeypatch.setenv("PYMODE_REGISTRY_PLAIN_HTTP", "1")
    b.push(_bundle(tmp_path), ["bundle.json"], "127.0.0.1:5000/r@sha256:" + "0" * 64, "t", {})
    assert oras()[0]["argv"][:2] == ["push", "--plain-http"]


def test_a_push_oras_refuses_fails_the_build_with_the_end_of_its_output(tmp_path, oras, monkeypatch):
    monkeypatch.setenv("FAKE_ORAS_MODE", "fail")
    with pytest.raises(b.BuildError) as e:
        b.push(_bundle(tmp_path), ["bundle.json"], "reg/r:t", "t", {})
    assert str(e.value).startswith("oras push failed (exit 1):")
    assert "Error: unauthorized" in str(e.value) and "noise 0\n" not in str(e.value)


def test_a_push_without_a_digest_in_its_output_is_a_failure(tmp_path, oras, monkeypatch):
    monkeypatch.setenv("FAKE_ORAS_MODE", "nodigest")
    with pytest.raises(b.BuildError, match="oras push printed no digest"):
        b.push(_bundle(tmp_path), ["bundle.json"], "reg/r:t", "t", {})


def test_publishing_a_runtime_pushes_what_it_has_and_prints_the_result_last(tmp_path, oras, capsys):
    runtime = tmp_path / "runtime"
    (runtime / "include").mkdir(parents=True)
    (runtime / "include" / "Python.h").write_text("")
    for name in ("python.wasm", "python313.zip", "manifest.json"):
        (runtime / name).write_text("x")
    status = b.main(["runtime", "--runtime-dir", str(runtime), "--push", "reg/pymode/runtime:3.13",
                     "--annotation", "dev.pymode.runtime-key=k1"])
    assert status == 0
    argv = oras()[0]["argv"]
    assert "--artifact-type" in argv and argv[argv.index("--artifact-type") + 1] == b.RUNTIME_ARTIFACT_TYPE
    assert argv[-4:] == ["python.wasm:application/wasm", "python313.zip:application/zip",
                         "manifest.json:application/json", "include"]
    assert "dev.pymode.runtime-key=k1" in argv
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert json.loads(last)["ref"] == "reg/pymode/runtime@" + DIGEST
    assert (tmp_path / "termination-log").read_text() == last
