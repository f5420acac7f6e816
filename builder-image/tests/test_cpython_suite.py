"""A slice of CPython's own test suite, run on the shipped python.wasm (issue #3).

regrtest runs sequentially (no threads or subprocesses under WASI) with the source tree's Lib/test mapped in;
the stdlib itself still comes from python313.zip. `test_today` is excluded: it sleeps in a loop, and node's
WASI `poll_oneoff` never returns from that sleep (a node:wasi limitation; the worker's own WASI returns).
test_xml_etree_c, test_pyexpat and test_minidom exercise the runtime's side modules _elementtree and pyexpat
(lib-dynload/, linked by wasi-run.mjs on first import); test_decimal the built-in _decimal (and
_pydecimal from the mapped source Lib/, which the zip leaves out).
"""
from __future__ import annotations

import re
from pathlib import Path

SUITE = ["test_json", "test_re", "test_collections", "test_datetime", "test_string",
         "test_decimal", "test_xml_etree_c", "test_pyexpat", "test_minidom"]


def test_cpython_test_slice_passes(wasi, build_info, tmp_path):
    lib = Path(build_info["lib_dir"])
    assert (lib / "test" / "test_json").exists(), f"no CPython test sources under {lib}"
    (tmp_path / "root").mkdir()
    (tmp_path / "tmp").mkdir()
    p = wasi.run("-m", "test", "--tempdir", "/tmp/regrtest", "-i", "*test_today", *SUITE,
                 dirs={"/": tmp_path / "root", "/srclib": lib, "/tmp": tmp_path / "tmp"},
                 env={"PYTHONPATH": "/srclib", "TMPDIR": "/tmp"}, timeout=600)
    out = p.stdout + p.stderr
    print(out[-3000:])
    assert p.returncode == 0, out[-3000:]
    assert "Result: SUCCESS" in out
    assert f"All {len(SUITE)} tests OK." in out
    run = int(re.search(r"Total tests: run=([\d,]+)", out).group(1).replace(",", ""))
    assert run > 1000, f"only {run} tests ran"
