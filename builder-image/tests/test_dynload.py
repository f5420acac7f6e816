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
         "unicodedata", "pyexpat", "_elementtree"]
SUFFIX = ".cpython-313-wasm32-wasi.so"


def test_module_list_is_mkdynloads():
    out = subprocess.run([sys.executable, str(RUNTIME_SRC / "mkdynload.py"), "--list"], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == MOVED


@pytest.mark.parametrize("name", ["python.wasm", "python-noasync.wasm"])
def test_core_no_longer_contains_them(runtime, name):
    # --export-dynamic exports every PyInit_* linked into python.wasm (PyMODINIT_FUNC has default visibility)
    exports = {e["name"] for e in wasminfo.load(str(runtime / name)).exports}
    # still built in; _decimal too: decimal, fractions and statistics are imported at load, and a side module
    # imported at load would cost a Wizer snapshot (runtime/README.md "Size steps")
    assert {"PyInit__json", "PyInit__sha2", "PyInit__datetime", "PyInit_zlib", "PyInit__decimal"} <= exports
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


# What a side module imports from python.wasm besides the C API and libc: its memory, table and PIC bases.
LINKER_PROVIDED = {"memory", "__indirect_function_table", "__stack_pointer", "__memory_base", "__table_base",
                   "__asyncify_state", "__asyncify_data"}


@pytest.mark.parametrize("name", ["python.wasm", "python-noasync.wasm"])
def test_what_they_import_python_wasm_exports(runtime, manifest, name):
    # a libc function only the moved code called is no longer linked (or exported) unless
    # side-module-exports.txt forces it; the linker would refuse the module on its first import
    exports = {e["name"] for e in wasminfo.load(str(runtime / name)).exports}
    for mod, spec in manifest["dynload"].items():
        side = wasminfo.load(str(runtime / "lib-dynload" / spec["file"]))
        defined = {e["name"] for e in side.exports}
        need = {i["name"] for i in side.imports if i["module"] == "env"} - LINKER_PROVIDED
        need |= {i["name"] for i in side.imports if i["module"].startswith("GOT.")} - defined
        assert not need - exports, f"{mod} imports {sorted(need - exports)}, which {name} does not export"


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


DECIMAL_XML = r"""
import sys, io, decimal, xml.etree.ElementTree as ET, xml.parsers.expat, xml.dom.minidom, plistlib
from decimal import Decimal, localcontext, getcontext, ROUND_HALF_EVEN, ROUND_HALF_UP
for m in ("pyexpat", "_elementtree"):
    print(sys.modules[m].__file__.rsplit("/", 1)[1])
print("_decimal" in sys.builtin_module_names, hasattr(sys.modules["_decimal"], "__file__"))  # built in, no file
# the C decimal, with libmpdec's 32-bit configuration (CONFIG_32): MAX_PREC 425000000
print(decimal.Decimal is sys.modules["_decimal"].Decimal, decimal.MAX_PREC, decimal.__libmpdec_version__)
print(Decimal("1.10") + Decimal("2.205"), Decimal(1) / Decimal(7))
with localcontext(prec=5) as ctx:
    print(Decimal(2).sqrt(), ctx.prec, Decimal("1.2345").quantize(Decimal("0.001"), rounding=ROUND_HALF_EVEN),
          Decimal("1.2345").quantize(Decimal("0.001"), rounding=ROUND_HALF_UP))
print(getcontext().prec)
with localcontext(prec=20000):  # large operands: libmpdec's number-theoretic transform multiplication
    s, exact = str(Decimal(1) / Decimal(7)), Decimal(3) ** 2000 == Decimal(3 ** 2000)
print(len(s), s[:12], s[-6:], exact, Decimal(3) ** 2000 == Decimal(3 ** 2000))  # exact, then rounded to 28 digits
try:
    Decimal(1) / 0
except decimal.DivisionByZero as e:
    print("DivisionByZero", type(e).__mro__[1].__name__)
# ElementTree through the C accelerator (_elementtree, which reaches expat through pyexpat's capsule)
print(ET.XMLParser is sys.modules["_elementtree"].XMLParser, ET.Element is sys.modules["_elementtree"].Element)
root = ET.fromstring('<r a="1"><i n="x">t&amp;u</i><i n="y"/></r>')
print(root.get("a"), [i.get("n") for i in root.iter("i")], root.find("i").text, ET.tostring(root.find("i")).decode())
events = [(ev, el.tag) for ev, el in ET.iterparse(io.BytesIO(b"<a><b>1</b><c/></a>"), events=("start", "end"))]
print(events)
try:
    ET.fromstring("<a><b></a>")
except ET.ParseError as e:
    print("ParseError", e.position)
# expat directly: handlers, namespaces (XML_NS), an internal DTD entity (XML_DTD)
seen = []
p = xml.parsers.expat.ParserCreate(namespace_separator=" ")
p.StartElementHandler = lambda name, attrs: seen.append((name, attrs))
p.CharacterDataHandler = lambda data: seen.append(data)
p.Parse(b'<!DOCTYPE d [<!ENTITY e "ent">]><d xmlns="urn:x" k="v">&e;</d>', True)
print(seen, xml.parsers.expat.version_info >= (2, 6, 0))
try:
    xml.parsers.expat.ParserCreate().Parse(b"<a>", True)
except xml.parsers.expat.ExpatError as e:
    print("ExpatError", xml.parsers.expat.ErrorString(e.code))
doc = xml.dom.minidom.parseString("<r><i n='1'/><i n='2'/></r>")
print([i.getAttribute("n") for i in doc.getElementsByTagName("i")], doc.documentElement.toxml())
print(plistlib.loads(plistlib.dumps({"k": [1, "two"]})))
"""


@pytest.mark.parametrize("name", ["python.wasm", "python-noasync.wasm"])
def test_xml_loads_through_dlopen_beside_the_built_in_decimal(wasi, name):
    out = wasi.py(DECIMAL_XML, wasm=name).splitlines()
    assert out == [
        "pyexpat" + SUFFIX, "_elementtree" + SUFFIX,
        "True False",
        "True 425000000 2.5.1",
        "3.305 0.1428571428571428571428571429",
        "1.4142 5 1.234 1.235",
        "28",
        "20002 0.1428571428 285714 True False",
        "DivisionByZero DecimalException",
        "True True",
        "1 ['x', 'y'] t&u <i n=\"x\">t&amp;u</i>",
        "[('start', 'a'), ('start', 'b'), ('end', 'b'), ('start', 'c'), ('end', 'c'), ('end', 'a')]",
        "ParseError (1, 8)",
        "[('urn:x d', {'k': 'v'}), 'ent'] True",
        "ExpatError no element found",
        "['1', '2'] <r><i n=\"1\"/><i n=\"2\"/></r>",
        "{'k': [1, 'two']}",
    ]
