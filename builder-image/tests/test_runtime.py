"""Runtime tests: python.wasm (CPython 3.13, wasm32-wasi, zig cc) under node:wasi."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import FIXTURES, RUNTIME_SRC, run_host, wasminfo

ASYNC_IMPORTS = ["call", "dl_open"]
# docs/abi.md section 2
PYMODE_IMPORTS = {
    "call": "(i32,i32,i32,i32,i32,i32)->i32",
    "dl_open": "(i32,i32)->i32",
    "dl_sym": "(i32,i32,i32)->i32",
    "result_take": "(i32,i32)->i32",
    "log": "(i32,i32,i32)->void",
}
# docs/abi.md section 5
PYMODE_EXPORTS = {
    "_start": "()->void",
    "pymode_init": "()->i32",
    "wizer.initialize": "()->void",
    "pymode_alloc": "(i32)->i32",
    "pymode_free": "(i32)->void",
    "pymode_handle": "(i32,i32)->i32",
    "pymode_set_step_budget": "(f64)->i32",
}
ASYNCIFY_EXPORTS = {"asyncify_start_unwind", "asyncify_stop_unwind", "asyncify_start_rewind",
                    "asyncify_stop_rewind", "asyncify_get_state"}


def sha256(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


# ---- the interpreter (CLI `_start`) --------------------------------------------------------------

def test_starts_and_is_313(wasi):
    out = wasi.py("import sys; print(sys.version_info[:2], sys.platform, sys.implementation.name)")
    assert out.strip() == "(3, 13) wasi cpython"


def test_exit_status_is_propagated(wasi):
    assert wasi.run("-c", "raise SystemExit(3)").returncode == 3
    p = wasi.run("-c", "1/0")
    assert p.returncode == 1 and "ZeroDivisionError" in p.stderr


def test_stdlib_comes_from_the_zip(wasi):
    out = wasi.py(
        "import sys, os, json, encodings\n"
        "print(json.__file__)\n"
        "print(encodings.__file__)\n"
        "print(any(p.endswith('python313.zip') for p in sys.path))\n"
        "print(sorted(os.listdir('/lib')), os.listdir('/lib/python3.13'))\n"
        "print(sorted({f.split('.')[-1] for f in os.listdir('/lib/python3.13/lib-dynload')}))\n"
    )
    lines = out.splitlines()
    assert lines[0] == "/lib/python313.zip/json/__init__.pyc"
    assert lines[1] == "/lib/python313.zip/encodings/__init__.pyc"
    assert lines[2] == "True"
    # besides the zip, only the runtime's side modules (no Lib/ tree)
    assert lines[3] == "['python3.13', 'python313.zip'] ['lib-dynload']"
    assert lines[4] == "['so', 'wasm']"


def test_common_stdlib_modules_work(wasi):
    code = r"""
import json, re, decimal, hashlib, zlib, gzip, io, zipfile, xml.etree.ElementTree as ET
import datetime, collections, dataclasses, typing, base64, struct, math, statistics, csv, uuid
import urllib.parse, email.message, http.client, html, textwrap, enum, functools, itertools
assert json.loads(json.dumps({"a": [1, 2.5, None]})) == {"a": [1, 2.5, None]}
assert re.sub(r"(\w+)@(\w+)", r"\2 at \1", "me@host") == "host at me"
assert str(decimal.Decimal("1.10") + decimal.Decimal("2.205")) == "3.305"
assert decimal.Decimal(1) / decimal.Decimal(7) == decimal.Decimal("0.1428571428571428571428571429")
assert hashlib.sha256(b"abc").hexdigest().startswith("ba7816bf")
assert hashlib.md5(b"").hexdigest() == "d41d8cd98f00b204e9800998ecf8427e"
assert hashlib.blake2b(b"x").digest_size == 64 and hashlib.sha3_256(b"").hexdigest().startswith("a7ffc6f8")
data = b"pymode " * 1000
assert zlib.decompress(zlib.compress(data, 9)) == data and len(zlib.compress(data)) < 100
assert gzip.decompress(gzip.compress(data)) == data
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("a.txt", data)
assert zipfile.ZipFile(io.BytesIO(buf.getvalue())).read("a.txt") == data
root = ET.fromstring("<a><b k='v'>t</b></a>")
assert root.find("b").get("k") == "v" and ET.tostring(root) == b'<a><b k="v">t</b></a>'
assert urllib.parse.urlsplit("https://x.dev/p?q=1").query == "q=1"
assert uuid.uuid4().version == 4
print("ok")
"""
    assert wasi.py(code).strip() == "ok"


def test_zoneinfo_works_with_tz_data(wasi, tmp_path):
    # No tzdata is bundled (the host has no /usr/share/zoneinfo); projects add the `tzdata`
    # package. Here a TZif file from this machine is mapped in through PYTHONTZPATH.
    src = Path("/usr/share/zoneinfo/Europe/Berlin")
    if not src.exists():
        pytest.skip("this machine has no /usr/share/zoneinfo/Europe/Berlin to map in")
    (tmp_path / "Europe").mkdir()
    shutil.copyfile(src, tmp_path / "Europe" / "Berlin")
    out = wasi.py(
        "import zoneinfo, datetime\n"
        "tz = zoneinfo.ZoneInfo('Europe/Berlin')\n"
        "print(datetime.datetime(2024, 7, 1, 12, tzinfo=tz).utcoffset())\n"
        "print(datetime.datetime(2024, 1, 1, 12, tzinfo=tz).tzname())\n",
        dirs={"/tz": tmp_path}, env={"PYTHONTZPATH": "/tz"})
    assert out.split() == ["2:00:00", "CET"]


def test_documented_missing_modules_fail_cleanly(wasi):
    code = (
        "import importlib\n"
        "for m in ['ssl', 'ctypes', 'sqlite3', 'bz2', 'lzma']:\n"
        "    try:\n"
        "        importlib.import_module(m)\n"
        "        print(m, 'imported')\n"
        "    except ImportError as e:\n"
        "        print(m, 'ImportError')\n"
        "import threading\n"
        "try:\n"
        "    threading.Thread(target=print).start()\n"
        "    print('thread started')\n"
        "except RuntimeError:\n"
        "    print('threads RuntimeError')\n"
    )
    assert wasi.py(code).splitlines() == [
        "ssl ImportError", "ctypes ImportError", "sqlite3 ImportError", "bz2 ImportError",
        "lzma ImportError", "threads RuntimeError"]


def test_pymode_builtin_module(wasi):
    code = (
        "import sys, _pymode\n"
        "print('_pymode' in sys.builtin_module_names, _pymode.ABI_VERSION)\n"
        "print(issubclass(_pymode.HostError, Exception))\n"
        "try:\n"
        "    _pymode.call('', '', b'')\n"   # an empty kind never reaches the host
        "except ValueError as e:\n"
        "    print('ValueError')\n"
        "try:\n"
        "    _pymode.call('kv', 'MY_KV', b'')\n"   # the CLI host has no bindings: -6
        "except _pymode.HostError as e:\n"
        "    print(e.args, e.status, e.payload)\n"
        "_pymode.log(20, 'from the CLI')\n"
    )
    p = wasi.run("-c", code)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == ["True 2", "True", "ValueError", "(-6, b'') -6 b''"]
    assert "[pymode log 20] from the CLI" in p.stderr


# ---- the module interface -----------------------------------------------------------------------

@pytest.mark.parametrize("name,asyncified", [("python.wasm", True), ("python-noasync.wasm", False)])
def test_imports_and_exports(runtime, name, asyncified):
    mod = wasminfo.load(str(runtime / name))
    pymode = {i["name"]: mod.import_signature("pymode", i["name"])
              for i in mod.imported_funcs if i["module"] == "pymode"}
    assert pymode == PYMODE_IMPORTS
    other = {i["module"] for i in mod.imports} - {"pymode", "wasi_snapshot_preview1"}
    assert other == set(), f"unexpected import modules {other}"
    exports = {e["name"] for e in mod.exports}
    for name_, sig in PYMODE_EXPORTS.items():
        assert mod.export_signature(name_) == sig, name_
    assert "memory" in exports
    assert ASYNCIFY_EXPORTS <= exports if asyncified else not (ASYNCIFY_EXPORTS & exports)
    # Besides the ABI exports: what C-extension side modules link against (issue #7,
    # docs/extensions.md): the table, the stack pointer, the Python C API and listed libc symbols.
    side = exports - set(PYMODE_EXPORTS) - ASYNCIFY_EXPORTS - {"memory"}
    assert {"__indirect_function_table", "__stack_pointer", "PyModule_Create2", "_Py_NoneStruct",
            "aligned_alloc", "memcpy"} <= side
    assert not {e for e in side if e.startswith(("asyncify_", "pymode_"))}
    # no DWARF / debug sections left
    assert not [s for s in mod.custom if s.startswith(".debug")]


def test_stack_is_first_and_8mib(runtime):
    # CPython's WASI link flags: 8 MiB stack placed before the data (zig's linker does stack-first
    # by default). The first global is __stack_pointer; it starts at the top of the stack.
    mod = wasminfo.load(str(runtime / "python-noasync.wasm"))
    sp = mod.globals[0]
    assert sp["type"] == "i32" and sp["mutable"] and sp["init"] == 8 * 1024 * 1024


# ---- the request path (pymode_init / pymode_handle) ---------------------------------------------

def test_init_and_handle_with_asyncify(runtime, libdir):
    responses, summary, stderr = run_host(runtime / "python.wasm", libdir, [
        {"method": "POST", "url": "/echo", "headers": [["x-a", "1"]], "body": "hi"},
        {"method": "PUT", "url": "/kv/put/k1", "body": "v1"},
        {"url": "/kv/get/k1"},
        {"url": "/kv/get/absent"},
        {"url": "/kv/get/preset"},
        {"url": "/kv/unknown"},
        {"url": "/http"},
        {"url": "/log"},
        {"url": "/boom"},
        {"url": "/echo"},
    ], kv={"preset": "from-host"})
    assert summary["asyncified"] is True
    echo = json.loads(responses[0]["body"])
    assert responses[0]["status"] == 200
    assert echo["method"] == "POST" and echo["body"] == "hi" and echo["headers"] == [["x-a", "1"]]
    assert echo["greeting"] == "hello from a sibling module" and echo["version"].startswith("3.13")
    # each KV call suspends the wasm stack (Asyncify) while the host awaits a timer
    assert (responses[1]["status"], responses[1]["body"]) == (201, "stored:v1")
    assert (responses[2]["status"], responses[2]["body"]) == (200, "v1")
    assert (responses[3]["status"], responses[3]["body"]) == (404, "missing")
    assert (responses[4]["status"], responses[4]["body"]) == (200, "from-host")
    err = json.loads(responses[5]["body"])
    assert err == {"status": -2, "error": {"code": "UNKNOWN_BINDING", "message": "no KV binding named NO_SUCH_KV"}}
    assert json.loads(responses[6]["body"]) == {"status": -6}
    assert responses[7]["body"] == "logged" and "[pymode log 20] hello from the handler" in stderr
    assert (responses[8]["status"], responses[8]["body"]) == (500, "Internal Server Error")
    assert "[pymode log 40] Traceback" in stderr and "ValueError: boom" in stderr
    # the interpreter is still fine after a failed request
    assert responses[9]["status"] == 200


def test_handle_without_asyncify(runtime, libdir):
    responses, summary, _ = run_host(runtime / "python-noasync.wasm", libdir, [{"url": "/echo"}])
    assert summary["asyncified"] is False
    assert responses[0]["status"] == 200


@pytest.mark.parametrize("name", ["python.wasm", "python-noasync.wasm"])
def test_step_budget_stops_a_pure_python_loop(runtime, libdir, name):
    # docs/abi.md section 5: the interpreter counts steps (here one per loop iteration) against the
    # budget the host set and raises StepBudgetExceeded where the code is; catching it does not help.
    responses, _, stderr = run_host(runtime / name, libdir, [
        {"url": "/count/50000", "steps": 100000},
        {"url": "/spin", "steps": 100000},
        {"url": "/count/50000"},  # no budget: unlimited again, nothing left pending from /spin
        {"url": "/count/150000", "steps": 100000},
        {"url": "/spin-swallowing", "steps": 100000},
    ])
    assert [(r["status"], r.get("body"), r["step_budget_spent"]) for r in responses[:4]] == [
        (200, "50000", False), (None, None, True), (200, "50000", False), (None, None, True)]
    assert "_pymode.StepBudgetExceeded" in stderr and "while True" in stderr
    # caught 8 times, then the instance traps instead of running on
    assert responses[4]["status"] is None and responses[4]["step_budget_spent"]
    assert "unreachable" in responses[4]["trapped"]
    assert "kept catching StepBudgetExceeded" in stderr


def test_init_failure_is_reported(runtime, libdir, tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "entry.py").write_text("raise RuntimeError('bad entry')\n")
    cmd = ["node", "--no-warnings", str(RUNTIME_SRC / "pymode-host.mjs"), "--wasm", str(runtime / "python.wasm"),
           "--dir", f"{libdir}::/lib", "--dir", f"{FIXTURES / 'site'}::/lib/site", "--dir", f"{tmp_path}::/app",
           "--env", "PYTHONHOME=/", "--env", "PYTHONPATH=/lib/site:/app", "--env", "PYMODE_ENTRY=src/entry.py"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert p.returncode != 0
    assert "pymode_init returned 4" in p.stderr          # -4: load() raised
    assert "RuntimeError: bad entry" in p.stderr


# ---- Wizer snapshot ----------------------------------------------------------------------------

@pytest.fixture(scope="session")
def snapshot(runtime, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("snap") / "snapshot.wasm"
    p = subprocess.run([str(RUNTIME_SRC / "snapshot.sh"), "--wasm", str(runtime / "python.wasm"),
                        "--stdlib", str(runtime / "python313.zip"), "--site", str(FIXTURES / "site"),
                        "--app", str(FIXTURES / "app"), "--entry", "src/entry.py", "-o", str(out)],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    return out


def test_snapshot_serves_without_init(snapshot, libdir, runtime):
    mod = wasminfo.load(str(snapshot))
    assert {i["name"] for i in mod.imported_funcs if i["module"] == "pymode"} == set(PYMODE_IMPORTS)
    assert {"pymode_handle", "asyncify_get_state"} <= {e["name"] for e in mod.exports}
    reqs = [{"url": "/echo"}, {"url": "/kv/put/a", "body": "b"}, {"url": "/kv/get/a"}]
    r1, s1, _ = run_host(snapshot, libdir, reqs, init=False)
    r2, _, _ = run_host(snapshot, libdir, reqs, init=False)
    e1, e2 = json.loads(r1[0]["body"]), json.loads(r2[0]["body"])
    # the entry was imported once, at snapshot time
    assert e1["imported_at"] == e2["imported_at"]
    assert e1["random_at_import"] == e2["random_at_import"]
    # but `random` is re-seeded per instance on the first request
    assert e1["random_now"] != e2["random_now"]
    # Asyncify still works in the snapshot
    assert [r["body"] for r in r1[1:]] == ["stored:b", "b"]


def test_snapshot_refuses_async_call_during_init(runtime, tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "entry.py").write_text(
        "import _pymode\n_pymode.call('kv', 'MY_KV', b'')\n")
    p = subprocess.run([str(RUNTIME_SRC / "snapshot.sh"), "--wasm", str(runtime / "python.wasm"),
                        "--stdlib", str(runtime / "python313.zip"), "--site", str(FIXTURES / "site"),
                        "--app", str(tmp_path), "-o", str(tmp_path / "out.wasm")],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode != 0
    assert "wizer failed" in p.stderr
    assert not (tmp_path / "out.wasm").exists()


def _snapshot_of(runtime, tmp_path, entry_source: str) -> subprocess.CompletedProcess:
    """snapshot.sh of a one-file project with pylib's real pymode (not the fixture's stand-in)."""
    site, app = tmp_path / "site", tmp_path / "app"
    shutil.copytree(RUNTIME_SRC.parents[1] / "pylib" / "pymode", site / "pymode",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (app / "src").mkdir(parents=True)
    (app / "src" / "entry.py").write_text(entry_source)
    # the asyncified python.wasm: this test host answers host calls through Asyncify only
    return subprocess.run([str(RUNTIME_SRC / "snapshot.sh"), "--wasm", str(runtime / "python.wasm"),
                           "--stdlib", str(runtime / "python313.zip"), "--site", str(site), "--app", str(app),
                           "-o", str(tmp_path / "out.wasm")], capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("entry_source,why", [
    ("import unicodedata\ndef on_fetch(request):\n    pass\n", "imports the C extension unicodedata"),
    # an entry that catches the refusal (an optional import) still gets no snapshot that differs from the worker
    ("try:\n    import unicodedata\nexcept BaseException:\n    pass\ndef on_fetch(request):\n    pass\n",
     "imports the C extension unicodedata"),
    ("from pymode.env import KV\nKV.get('k')\ndef on_fetch(request):\n    pass\n", "calls the host"),
])
def test_an_entry_no_snapshot_can_hold_is_named_with_exit_status_3(runtime, tmp_path, entry_source, why):
    p = _snapshot_of(runtime, tmp_path, entry_source)
    assert p.returncode == 3, p.stderr[-3000:]
    assert p.stderr.strip().splitlines()[-1].startswith("[pymode-snapshot] IMPOSSIBLE: entry 'src/entry.py' " + why)
    assert not (tmp_path / "out.wasm").exists()


def test_a_snapshot_instance_takes_the_environment_its_host_gives_it(runtime, libdir, tmp_path):
    # os.environ was frozen when the snapshot was made; the instance asks its host for its own (kind "environ"):
    # PYMODE_BINDINGS and PYMODE_ROLE differ per deployment and per instance
    p = _snapshot_of(runtime, tmp_path, "import os\nfrom pymode.workers import Response\n"
                                        "def on_fetch(request):\n"
                                        "    return Response(os.environ.get('PYMODE_SNAPSHOT', 'unset') + ' '"
                                        " + os.environ.get('PYMODE_ROLE', 'none') + ' ' + os.getenv('PYMODE_ROLE', 'none'))\n")
    assert p.returncode == 0, p.stderr[-3000:]
    responses, _, _ = run_host(tmp_path / "out.wasm", libdir, [{"url": "/"}, {"url": "/"}], app=tmp_path / "app",
                               site=tmp_path / "site", init=False, env={"PYMODE_ROLE": "thread"})
    assert [(r["status"], r["body"]) for r in responses] == [(200, "unset thread thread")] * 2


# ---- reproducibility ---------------------------------------------------------------------------

def test_manifest_matches_outputs(runtime, manifest):
    for rel, meta in manifest["outputs"].items():
        p = runtime / rel
        assert p.stat().st_size == meta["size"], rel
        assert sha256(p) == meta["sha256"], rel
    listed = {str(p.relative_to(runtime)) for p in runtime.rglob("*") if p.is_file()} - {"manifest.json"}
    assert listed == set(manifest["outputs"])
    assert manifest["python"].startswith("3.13.")
    assert set(manifest["imports"]) >= {f"pymode.{n}" for n in PYMODE_IMPORTS}


def test_stdlib_zip_is_reproducible(runtime, build_info, tmp_path):
    out = tmp_path / "python313.zip"
    subprocess.run([build_info["build_python"], "-I", str(RUNTIME_SRC / "mkstdlib.py"),
                    "--lib", build_info["lib_dir"], "--sysconfigdata", build_info["sysconfigdata"],
                    "--path-map", f"{build_info['cache']}=/pymode-cache",
                    "--mtime", str(build_info["source_date_epoch"]), "--out", str(out)],
                   check=True, capture_output=True)
    assert sha256(out) == sha256(runtime / "python313.zip")
    # and no build-machine path leaked into it
    assert build_info["cache"].encode() not in (runtime / "python313.zip").read_bytes()


def _wasm_opt(build_info, *args):
    env = dict(os.environ, LD_LIBRARY_PATH=build_info["wasm_opt_libs"])
    subprocess.run([build_info["wasm_opt"], *args], check=True, capture_output=True, env=env)
    # build.sh then drops the function table's maximum (side modules grow it, issue #7)
    subprocess.run([build_info["build_python"], "-I", str(RUNTIME_SRC / "growable_table.py"), args[args.index("-o") + 1]],
                   check=True, capture_output=True)
    if "--asyncify" in args:  # and exports Asyncify's globals for asyncified side modules
        subprocess.run([build_info["build_python"], "-I", str(RUNTIME_SRC / "asyncify_exports.py"), args[args.index("-o") + 1]],
                       check=True, capture_output=True)


def test_wasm_opt_is_reproducible(runtime, manifest, build_info, tmp_path):
    out = tmp_path / "noasync.wasm"
    _wasm_opt(build_info, build_info["raw_wasm"], *manifest["build"]["wasm_opt_noasync"], "-o", str(out))
    assert sha256(out) == sha256(runtime / "python-noasync.wasm")


@pytest.mark.skipif(os.environ.get("PYMODE_TEST_FULL") != "1",
                    reason="repeats the Asyncify pass (minutes, ~3 GB); set PYMODE_TEST_FULL=1")
def test_asyncify_is_reproducible(runtime, manifest, build_info, tmp_path):
    out = tmp_path / "async.wasm"
    _wasm_opt(build_info, build_info["raw_wasm"], *manifest["build"]["wasm_opt_asyncify"], "-o", str(out))
    assert sha256(out) == sha256(runtime / "python.wasm")


def test_no_build_paths_in_wasm(runtime, build_info):
    data = (runtime / "python.wasm").read_bytes()
    assert build_info["cache"].encode() not in data
