"""CPython's heavy optional built-in modules as side modules of the runtime (issue #13 item 2,
builder-image/runtime/mkdynload.py): not in python.wasm, shipped in lib-dynload/ (plain and Asyncify
variants), loaded on first import through dlopen -> pymode.dl_open."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import RUNTIME_SRC, wasminfo

MOVED = ["_multibytecodec", "_codecs_cn", "_codecs_hk", "_codecs_iso2022", "_codecs_jp", "_codecs_kr", "_codecs_tw",
         "unicodedata"]
SUFFIX = ".cpython-313-wasm32-wasi.so"


def test_module_list_is_mkdynloads():
    out = subprocess.run([sys.executable, str(RUNTIME_SRC / "mkdynload.py"), "--list"], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == MOVED


@pytest.mark.parametrize("name", ["python.wasm", "python-noasync.wasm"])
def test_core_no_longer_contains_them(runtime, name):
    # --export-dynamic exports every PyInit_* linked into python.wasm (PyMODINIT_FUNC has default visibility)
    exports = {e["name"] for e in wasminfo.load(str(runtime / name)).exports}
    assert {"PyInit__json", "PyInit__sha2", "PyInit__decimal", "PyInit_pyexpat"} <= exports  # still built in
    assert not {f"PyInit_{m}" for m in MOVED} & exports


def test_not_in_the_inittab(wasi):
    out = wasi.py(f"import sys; print(sorted(set({MOVED!r}) & set(sys.builtin_module_names)), "
                  "'_json' in sys.builtin_module_names)")
    assert out.strip() == "[] True"


def test_manifest_lists_both_variants(runtime, manifest):
    assert sorted(manifest["dynload"]) == sorted(MOVED)
    for mod, spec in manifest["dynload"].items():
        assert spec["init"] == f"PyInit_{mod}"
        assert spec["file"] == mod + SUFFIX
        assert spec["asyncify"]["file"] == mod + SUFFIX + ".asyncify.wasm"
        for f in (spec["file"], spec["asyncify"]["file"]):
            assert manifest["outputs"][f"lib-dynload/{f}"]["size"] == (runtime / "lib-dynload" / f).stat().st_size
        plain = wasminfo.load(str(runtime / "lib-dynload" / spec["file"]))
        asyncified = wasminfo.load(str(runtime / "lib-dynload" / spec["asyncify"]["file"]))
        assert "__asyncify_state" not in {i["name"] for i in plain.imports}
        assert "__asyncify_state" in {i["name"] for i in asyncified.imports}


CODE = (
    "import sys, unicodedata, re, codecs\n"
    "print(unicodedata.__file__)\n"
    "print(unicodedata.name('é'), unicodedata.normalize('NFKC', 'ｆｕｌｌ'))\n"
    "print('日本'.encode('shift_jis').hex(), b'\\x93\\xfa\\x96{'.decode('shift_jis'))\n"
    "print('中文'.encode('gb2312').hex(), '한국'.encode('euc_kr').hex(), '台'.encode('big5').hex(),"
    " '香'.encode('big5hkscs').hex(), 'あ'.encode('iso2022_jp').hex())\n"
    "print(re.match(r'\\N{EM DASH}', '\\u2014') is not None, eval(r'\"\\N{BULLET}\"'))\n"
    "print(sys.modules['_codecs_jp'].__file__.rsplit('/', 1)[1])\n"
)


@pytest.mark.parametrize("name", ["python.wasm", "python-noasync.wasm"])
def test_they_load_through_dlopen(wasi, name):
    out = wasi.py(CODE, wasm=name).splitlines()
    assert out == [
        "/lib/python3.13/lib-dynload/unicodedata" + SUFFIX,
        "LATIN SMALL LETTER E WITH ACUTE full",
        "93fa967b 日本",
        "d6d0cec4 c7d1b1b9 a578 adbb 1b244224221b2842",
        "True •",
        "_codecs_jp" + SUFFIX,
    ]


def test_bundler_triggers_match_this_cpython(build_info):
    # worker/scripts/runtime-modules.json (what bundle.mjs scans projects for) is generated from the stdlib
    p = subprocess.run([sys.executable, str(RUNTIME_SRC / "dynload_triggers.py"), str(Path(build_info["lib_dir"]))],
                       capture_output=True, text=True, check=True)
    committed = RUNTIME_SRC.parent.parent / "worker" / "scripts" / "runtime-modules.json"
    assert json.loads(p.stdout) == json.loads(committed.read_text()), "regenerate it with dynload_triggers.py"
    assert sorted(json.loads(p.stdout)) == sorted(MOVED)
