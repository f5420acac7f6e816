"""The `pymode` import stub Wizer preloads while it snapshots (runtime/wizer_stub.py), checked without a runtime:
it exports exactly the host imports docs/abi.md lists, with their signatures, and under a real wasm engine (node)
the async ones trap, dl_sym says "not supported" and result_take "nothing pending"."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "builder-image" / "runtime"))
import wasminfo  # noqa: E402
import wizer_stub  # noqa: E402


def _abi_imports() -> dict[str, str]:
    """docs/abi.md section 2 (host imports): import name -> its signature as wasminfo writes it."""
    text = (REPO / "docs" / "abi.md").read_text()
    section = text[text.index("## 2. Host imports"):text.index("## 3.")]
    rows = re.findall(r"^\| `(\w+)` \| `\(([^)]*)\) -> (i32|void)` \|", section, re.M)
    return {name: f"({','.join('i32' for p in params.split(',') if p.strip())})->{result}"
            for name, params, result in rows}


def test_the_stub_exports_every_host_import_with_its_abi_signature():
    module = wasminfo.parse(wizer_stub.build())
    abi = _abi_imports()
    assert set(abi) == {"call", "dl_open", "dl_sym", "result_take", "log"}
    assert {e["name"] for e in module.exports} == set(abi)
    for name, signature in abi.items():
        assert module.export_signature(name) == signature, name
    assert module.imports == [], "the stub needs nothing from its host"


def test_main_writes_the_module_and_wants_one_path(tmp_path, capsys):
    out = tmp_path / "stub.wasm"
    assert wizer_stub.main(["wizer_stub.py", str(out)]) == 0
    assert out.read_bytes() == wizer_stub.build()
    assert wizer_stub.main(["wizer_stub.py"]) == 2
    assert "usage" in capsys.readouterr().err


RUN = """
const bytes = require("fs").readFileSync(process.argv[1]);
const { exports } = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
const outcome = (f) => { try { return f(); } catch (e) { return e instanceof WebAssembly.RuntimeError ? "trap" : String(e); } };
console.log(JSON.stringify({
  call: outcome(() => exports.call(0, 0, 0, 0, 0, 0)),
  dl_open: outcome(() => exports.dl_open(0, 0)),
  dl_sym: outcome(() => exports.dl_sym(1, 0, 0)),
  result_take: outcome(() => exports.result_take(0, 0)),
  log: outcome(() => exports.log(20, 0, 0)) ?? null,
}));
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="node runs the stub")
def test_during_the_snapshot_async_calls_trap_and_the_others_answer_nothing_available(tmp_path):
    wasm = tmp_path / "stub.wasm"
    wasm.write_bytes(wizer_stub.build())
    p = subprocess.run(["node", "-e", RUN, str(wasm)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == {"call": "trap", "dl_open": "trap", "dl_sym": -6, "result_take": -1, "log": None}
