"""Unit tests of the runtime build's Python tools that need no CPython build: the stdlib zip (runtime/mkstdlib.py),
the side-module triggers derived from the stdlib (runtime/dynload_triggers.py), the wasm reader
(runtime/wasminfo.py), the side-module recipe mkdynload.py writes, and the compiler wrapper's argument handling
(extensions/wasm_toolchain.py). Each runs on small trees and modules made here."""
from __future__ import annotations

import importlib.util
import json
import marshal
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "builder-image" / "runtime"))
sys.path.insert(0, str(REPO / "builder-image" / "extensions"))
import build_extension  # noqa: E402
import dynload_triggers  # noqa: E402
import mkdynload  # noqa: E402
import mkstdlib  # noqa: E402
import wasm_toolchain  # noqa: E402
import wasminfo  # noqa: E402


def _tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


# ---- mkstdlib: what the zip keeps ------------------------------------------------------------------------

@pytest.mark.parametrize("rel, out", [
    ("test/test_os.py", True), ("tkinter/__init__.py", True), ("turtle.py", True),
    ("dbm/gnu.py", True), ("dbm/__init__.py", False), ("dbm/dumb.py", False),
    ("testing.py", False),                    # "test/" is a directory prefix, not a name prefix
    ("_pyrepl/reader.py", True), ("_pyrepl/pager.py", False), ("_pyrepl/main.py", False),
    ("json/__init__.py", False), ("concurrent/futures/process.py", True), ("concurrent/futures/thread.py", False),
])
def test_the_stdlib_zip_leaves_out_what_cannot_run_in_the_guest(rel, out):
    assert mkstdlib.excluded(rel) is out


def test_every_kept_file_sits_under_an_excluded_prefix():
    # KEPT is an exception list: an entry outside every EXCLUDED prefix would be dead
    assert all(any(k.startswith(p) for p in mkstdlib.EXCLUDED if p.endswith("/")) for k in mkstdlib.KEPT)


def _code(pyc: bytes):
    assert pyc[:4] == importlib.util.MAGIC_NUMBER
    # flags 0b01: hash-based and unchecked, so the zip's timestamps never matter and no source is needed
    assert int.from_bytes(pyc[4:8], "little") == 0b01
    return marshal.loads(pyc[16:])


def _names_and_constants(code) -> tuple[set, list]:
    names, constants = set(code.co_names), []
    for c in code.co_consts:
        if hasattr(c, "co_code"):
            sub_names, sub_constants = _names_and_constants(c)
            names |= sub_names
            constants += sub_constants
        else:
            constants.append(c)
    return names, constants


SOURCE = b'''"""Module doc."""
class K:
    """Class doc."""
    def m(self):
        """Method doc."""
        return "kept string"
def only_doc():
    """Nothing but a docstring."""
'''


def test_stripping_docstrings_drops_only_docstrings():
    pyc = mkstdlib.compile_pyc(SOURCE, "/lib/python313.zip/m.py", strip_docstrings=True)
    code = _code(pyc)
    _, constants = _names_and_constants(code)
    assert "kept string" in constants
    assert not {"Module doc.", "Class doc.", "Method doc.", "Nothing but a docstring."} & set(constants)
    namespace: dict = {}
    exec(code, namespace)  # a function whose body was only its docstring still compiles and runs
    assert namespace["only_doc"]() is None and namespace["K"]().m() == "kept string"
    assert code.co_filename == "/lib/python313.zip/m.py"


def test_kept_docstrings_stay_and_equal_sources_give_equal_bytes():
    kept = mkstdlib.compile_pyc(SOURCE, "m.py")
    assert "Module doc." in _names_and_constants(_code(kept))[1]
    assert kept == mkstdlib.compile_pyc(SOURCE, "m.py")
    assert kept != mkstdlib.compile_pyc(SOURCE + b"\n", "m.py")  # the source hash is in the header


def test_zip_entries_carry_fixed_utc_times_no_older_than_1980():
    old = mkstdlib.zip_entry("a.pyc", 0)
    assert old.date_time == (1980, 1, 1, 0, 0, 0)
    assert mkstdlib.zip_entry("a.pyc", 1700000000).date_time == (2023, 11, 14, 22, 13, 20)
    assert old.external_attr >> 16 == 0o100644


def _mkstdlib(tmp_path: Path, *extra: str) -> tuple[int, Path]:
    lib = _tree(tmp_path / "Lib", {"json/__init__.py": "X = 1\n", "json/decoder.py": "",
                                   "test/test_x.py": "", "turtle.py": "", "pydoc_data/topics.py": "",
                                   "email/architecture.rst": "docs"})
    sysconfig = _tree(tmp_path, {"_sysconfigdata__wasi_wasm32-wasi.py":
                                 "build_time_vars = {'prefix': '/home/builder/out'}\n"})
    sysconfig = tmp_path / "_sysconfigdata__wasi_wasm32-wasi.py"
    tag = f"{sys.version_info.major}{sys.version_info.minor}"
    out = tmp_path / "stdlib.zip"
    status = mkstdlib.main(["--lib", str(lib), "--sysconfigdata", str(sysconfig), "--mtime", "1700000000",
                            "--zip-prefix", f"/lib/python{tag}.zip", "--out", str(out),
                            "--path-map", "/home/builder/out=/", "--listing", str(tmp_path / "listing.tsv"), *extra])
    return status, out


def test_the_zip_holds_bytecode_of_the_kept_modules_and_the_mapped_sysconfigdata(tmp_path):
    status, out = _mkstdlib(tmp_path)
    assert status == 0
    with zipfile.ZipFile(out) as z:
        assert sorted(z.namelist()) == ["_sysconfigdata__wasi_wasm32-wasi.pyc", "json/__init__.pyc",
                                        "json/decoder.pyc"]
        namespace: dict = {}
        exec(_code(z.read("_sysconfigdata__wasi_wasm32-wasi.pyc")), namespace)
    assert namespace["build_time_vars"] == {"prefix": "/"}
    listing = (tmp_path / "listing.tsv").read_text().splitlines()
    assert "test/\t1 files\tCPython's test suite (~30 MB); not needed at run time" in listing


def test_the_zip_is_byte_identical_from_equal_inputs(tmp_path):
    _, first = _mkstdlib(tmp_path / "a")
    _, second = _mkstdlib(tmp_path / "b")
    assert first.read_bytes() == second.read_bytes()


def test_a_benchmark_variant_may_keep_an_excluded_prefix_but_not_invent_one(tmp_path, capsys):
    status, out = _mkstdlib(tmp_path, "--keep", "pydoc_data/", "--exclude", "json/decoder.py")
    assert status == 0
    with zipfile.ZipFile(out) as z:
        assert "pydoc_data/topics.pyc" in z.namelist() and "json/decoder.pyc" not in z.namelist()
    with pytest.raises(SystemExit):
        _mkstdlib(tmp_path / "c", "--keep", "json/")
    assert "is not an EXCLUDED prefix" in capsys.readouterr().err


def test_a_zip_named_for_another_python_is_refused(tmp_path):
    lib = _tree(tmp_path / "Lib", {"os.py": ""})
    _tree(tmp_path, {"sc.py": ""})
    assert mkstdlib.main(["--lib", str(lib), "--sysconfigdata", str(tmp_path / "sc.py"), "--mtime", "0",
                          "--zip-prefix", "/lib/python27.zip", "--out", str(tmp_path / "o.zip")]) == 2
    assert not (tmp_path / "o.zip").exists()


# ---- dynload_triggers: which words in a project ship a side module ---------------------------------------

@pytest.fixture
def lib(tmp_path) -> Path:
    return _tree(tmp_path / "Lib", {
        "encodings/__init__.py": "",
        "encodings/aliases.py": "aliases = {'sjis': 'shift_jis', 'shiftjis': 'shift_jis', 'latin1': 'latin_1'}\n",
        "encodings/shift_jis.py": "import _codecs_jp, codecs\n",
        "encodings/latin_1.py": "import codecs\n",
        "xml/__init__.py": "",
        "xml/etree/__init__.py": "",
        "xml/etree/ElementTree.py": "try:\n    from _elementtree import *\nexcept ImportError:\n    pass\n",
        "xml/parsers/expat.py": "from pyexpat import *\n",
        "xml/dom/minidom.py": "from . import expatbuilder\n",
        "xml/dom/expatbuilder.py": "from ..parsers import expat\n",
        "lazy.py": "def f():\n    import unicodedata\n",
        "uses_lazy.py": "import lazy\n",
        "test/test_codecs.py": "import _codecs_jp\n",
        "lib2to3/bad_syntax.py": "print 'py2'\n",
        "broken.py": "def (:\n",
    })


def test_module_level_imports_are_followed_but_not_those_inside_functions(lib):
    graph = dynload_triggers.module_imports(lib)
    assert "unicodedata" not in graph["lazy"]
    assert {"xml.parsers.expat", "xml.parsers"} <= graph["xml.dom.expatbuilder"]  # `from ..parsers import expat`
    assert "xml.dom.expatbuilder" in graph["xml.dom.minidom"]
    assert "_elementtree" in graph["xml.etree.ElementTree"]  # inside try: still at module level
    # excluded trees and files that are not Python 3 import nothing
    assert "test.test_codecs" not in graph and "broken" not in graph


def test_importers_are_transitive(lib):
    graph = dynload_triggers.module_imports(lib)
    assert dynload_triggers.importers(graph, "pyexpat") == {"xml.parsers.expat", "xml.dom.expatbuilder",
                                                           "xml.dom.minidom"}
    assert dynload_triggers.importers(graph, "unicodedata") == set()


def test_a_codec_triggers_by_its_name_and_aliases_and_a_package_by_its_top_name(lib):
    triggers = dynload_triggers.triggers(lib)
    assert set(triggers) == set(mkdynload.MODULES)
    assert triggers["_codecs_jp"] == {"words": ["_codecs_jp", "shift_jis", "shiftjis", "sjis"],
                                      "needs": ["_multibytecodec"]}
    assert triggers["pyexpat"] == {"words": ["pyexpat", "xml"]}
    assert triggers["_elementtree"]["needs"] == ["pyexpat"]
    assert triggers["unicodedata"] == {"words": ["unicodedata"], "name_escapes": True, "non_ascii": True}


# ---- mkdynload: the runtime's side modules as a recipe ---------------------------------------------------

def test_the_side_modules_recipe_is_a_valid_recipe_with_each_module_s_init(tmp_path):
    recipe = mkdynload.recipe("3.13.1", tmp_path)
    build_extension.validate(recipe, json.loads((REPO / "recipes" / "schema.json").read_text()), "")
    assert set(recipe["modules"]) == set(mkdynload.MODULES)
    assert all(spec["init"] == f"PyInit_{m}" for m, spec in recipe["modules"].items())
    assert recipe["modules"]["pyexpat"]["cflags"] == [f"-I{tmp_path}/Modules/expat"]


# ---- wasminfo: reading a module ------------------------------------------------------------------------

def _section(sid: int, body: bytes) -> bytes:
    assert len(body) < 128  # one-byte sizes keep the hand-written module readable
    return bytes([sid, len(body)]) + body


def _name(text: str) -> bytes:
    return bytes([len(text)]) + text.encode()


# (type 0: (i32, i32) -> i32; type 1: () -> void), import env.add: type 0, one defined function of type 1
# exported as "run", memory export, and an immutable i32 global initialised to -1
MODULE = (b"\0asm\x01\0\0\0"
          + _section(1, b"\x02" + b"\x60\x02\x7f\x7f\x01\x7f" + b"\x60\x00\x00")
          + _section(2, b"\x01" + _name("env") + _name("add") + b"\x00\x00")
          + _section(3, b"\x01\x01")
          + _section(5, b"\x01\x01\x02\x10")
          + _section(6, b"\x01\x7f\x00\x41\x7f\x0b")
          + _section(7, b"\x03" + _name("run") + b"\x00\x01" + _name("add_again") + b"\x00\x00"
                     + _name("memory") + b"\x02\x00")
          + _section(0, _name("pymode.abi") + b"\x01"))


def test_a_module_s_imports_exports_and_signatures_are_read():
    m = wasminfo.parse(MODULE)
    assert m.imports == [{"module": "env", "name": "add", "kind": "func", "type": 0}]
    assert m.import_signature("env", "add") == "(i32,i32)->i32"
    assert m.export_signature("run") == "()->void"
    assert m.export_signature("add_again") == "(i32,i32)->i32"  # an export of an import: the import's type
    assert m.memories == [{"min": 2, "max": 16}]
    assert m.globals == [{"type": "i32", "mutable": False, "init": -1}]
    assert m.custom == {"pymode.abi": 12}
    assert [name for name, _ in m.sections] == ["type", "import", "function", "memory", "global", "export",
                                                "custom:pymode.abi"]
    with pytest.raises(KeyError):
        m.export_signature("memory")  # not a function


@pytest.mark.parametrize("data, message", [
    (b"\0ELF\x01\0\0\0", "bad magic"),
    (b"\0asm\x02\0\0\0", "unsupported wasm version"),
    # a type section whose one type ends after its form byte
    (b"\0asm\x01\0\0\0" + bytes([1, 2]) + b"\x01\x60", "unexpected end of data"),
])
def test_what_is_not_a_readable_module_is_refused(data, message):
    with pytest.raises(wasminfo.WasmError, match=message):
        wasminfo.parse(data)


# ---- wasm_toolchain: the compiler wrapper's arguments ----------------------------------------------------

def test_response_files_expand_with_shell_quoting_and_other_at_arguments_stay(tmp_path):
    rsp = tmp_path / "objs.rsp"
    rsp.write_text("a.o 'dir with space/b.o' -lm\n")
    assert wasm_toolchain.expand_rsp(["-o", "x.so", f"@{rsp}", "@missing"]) == [
        "-o", "x.so", "a.o", "dir with space/b.o", "-lm", "@missing"]


def test_a_side_module_link_passes_only_objects_and_its_own_flags(monkeypatch):
    calls = []
    monkeypatch.setattr(wasm_toolchain.subprocess, "call", lambda cmd: calls.append(cmd) or 0)
    status = wasm_toolchain.side_module_link("zig", ["-shared", "-Wl,--as-needed", "a.o", "-o", "m.so", "lib.a",
                                                     "-lpthread", "x.c"])
    assert status == 0
    assert calls == [["zig", "wasm-ld", *wasm_toolchain.SIDE_MODULE_LINK_FLAGS, "a.o", "lib.a", "-o", "m.so"]]


def test_a_side_module_link_without_an_output_is_an_error(monkeypatch):
    monkeypatch.setattr(wasm_toolchain.subprocess, "call", lambda cmd: pytest.fail("linked without -o"))
    assert wasm_toolchain.side_module_link("zig", ["-shared", "a.o"]) == 2


def test_pkg_config_answers_for_the_runtime_s_python_only(capsys):
    assert wasm_toolchain.pkg_config(["--cflags", "python-3.13"], "/rt/include", "3.13") == 0
    assert capsys.readouterr().out == "-I/rt/include\n"
    assert wasm_toolchain.pkg_config(["--modversion", "python3"], "/rt/include", "3.13") == 0
    assert capsys.readouterr().out == "3.13\n"
    assert wasm_toolchain.pkg_config(["--cflags", "openssl"], "/rt/include", "3.13") == 1
    assert wasm_toolchain.pkg_config(["--cflags", "python3"], None, None) == 1
    assert wasm_toolchain.pkg_config(["--cflags", "--unknown-flag", "python3"], "/rt/include", "3.13") == 1


def test_compiles_get_the_wasm_target_and_cxx_its_extra_flags(monkeypatch):
    calls = []
    monkeypatch.setattr(wasm_toolchain.subprocess, "call", lambda cmd, **kw: calls.append(cmd) or 0)
    assert wasm_toolchain.main(["--zig", "zig", "--prefix-map", "/src=/pkg", "c++", "-c", "m.cpp"]) == 0
    assert calls == [["zig", "c++", *wasm_toolchain.TARGET_FLAGS, *wasm_toolchain.CXX_FLAGS,
                      "-ffile-prefix-map=/src=/pkg", "-c", "m.cpp"]]
    assert wasm_toolchain.main(["--bogus", "x", "cc"]) == 2
    assert wasm_toolchain.main(["--zig", "zig", "fortran"]) == 2
