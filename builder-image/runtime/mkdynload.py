#!/usr/bin/env python3
"""CPython's heavy optional built-in modules as side modules of the runtime (issue #13 item 2).

    mkdynload.py --list
    mkdynload.py --src CPYTHON_SRC --runtime-stage DIR --python VERSION --ext-suffix SUFFIX --soabi TAG \
                 --zig ZIG --out DIR

`--list` prints the module names, one a line: build.sh writes them into Modules/Setup.local under
`*disabled*`, so they are not linked into python.wasm (nor in its inittab).

Otherwise the modules are built from the same CPython source with the extension builder
(builder-image/extensions/build_extension.py: the same compile and side-module link flags, a plain variant
for the JSPI driver and an Asyncify variant, a `pymode.abi` section) into OUT/<mod><EXT_SUFFIX> and
OUT/<mod><EXT_SUFFIX>.asyncify.wasm. Hosts map OUT at /lib/python3.13/lib-dynload, which is on CPython's
default sys.path, so `import unicodedata` finds the side module there and loads it through dlopen ->
pymode.dl_open on first import. Prints a JSON object {module: {init, file, sha256, size, asyncify}} on
stdout (build.sh puts it into the runtime manifest as `dynload`).
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

# module -> its sources (relative to CPython's source tree), as in Modules/Setup.stdlib.in, and the flags
# CPython's Makefile gives them for wasm32-wasi (MODULE_<NAME>_CFLAGS, LIBEXPAT_CFLAGS; an `-I` names a directory
# of the source tree). What is here is not in python.wasm. Kept in the core: what the interpreter or the stdlib
# needs at start (hashlib imports _sha2/_sha3/_blake2 at import time, random imports _sha2), what is small, and
# _decimal (~71 KB gzip): decimal, fractions and statistics import it at load, as do libraries such as SQLAlchemy,
# marshmallow and babel, and a side module imported at load is a C extension to a Wizer snapshot (snapshot.sh
# refuses it), which would cost every such entry its snapshot (README.md "Size steps").
LIBEXPAT = ["Modules/expat/xmlparse.c", "Modules/expat/xmlrole.c", "Modules/expat/xmltok.c"]  # LIBEXPAT_OBJS
MODULES: dict[str, dict] = {
    # CJK codecs: ~350 KB gzip of mapping tables; `codecs.lookup('shift_jis')` imports them on first use.
    "_multibytecodec": {"sources": ["Modules/cjkcodecs/multibytecodec.c"]},
    "_codecs_cn": {"sources": ["Modules/cjkcodecs/_codecs_cn.c"]},
    "_codecs_hk": {"sources": ["Modules/cjkcodecs/_codecs_hk.c"]},
    "_codecs_iso2022": {"sources": ["Modules/cjkcodecs/_codecs_iso2022.c"]},
    "_codecs_jp": {"sources": ["Modules/cjkcodecs/_codecs_jp.c"]},
    "_codecs_kr": {"sources": ["Modules/cjkcodecs/_codecs_kr.c"]},
    "_codecs_tw": {"sources": ["Modules/cjkcodecs/_codecs_tw.c"]},
    # unicodedata: ~294 KB gzip of tables. Nothing imports it at start; `\N{...}` in re patterns and in
    # string literals compiled at run time, idna and NFKC netloc checks in urllib.parse import it on use.
    "unicodedata": {"sources": ["Modules/unicodedata.c"]},
    # pyexpat with expat linked in, and _elementtree (~68 KB gzip together). expat's own settings
    # (XML_POOR_ENTROPY, XML_DTD, XML_NS, ...) come from CPython's Modules/expat/expat_config.h; its symbols are
    # renamed PyExpat_* (pyexpatns.h). _elementtree calls expat only through pyexpat's `pyexpat.expat_CAPI`
    # capsule (PyCapsule_Import imports pyexpat, here the other side module), so it links no expat code.
    "pyexpat": {"sources": ["Modules/pyexpat.c", *LIBEXPAT], "cflags": ["-I{src}/Modules/expat"]},
    "_elementtree": {"sources": ["Modules/_elementtree.c"], "cflags": ["-I{src}/Modules/expat"]},
}
# What those sources include besides the runtime's include/python3.13 (copied into the staged tree).
SOURCE_DIRS = ["Modules/cjkcodecs", "Modules/expat", "Modules/clinic", "Include/internal"]
SOURCE_FILES = ["Modules/unicodedata.c", "Modules/unicodedata_db.h", "Modules/unicodename_db.h",
                "Modules/pyexpat.c", "Modules/_elementtree.c"]
# As CPython builds its shared stdlib modules: optimised, without asserts.
CFLAGS = ["-O2", "-DNDEBUG"]


def recipe(python: str, tree: Path) -> dict:
    def spec(m: str) -> dict:
        s = {"init": f"PyInit_{m}", "sources": MODULES[m]["sources"]}
        if "cflags" in MODULES[m]:
            s["cflags"] = [f.format(src=tree) for f in MODULES[m]["cflags"]]
        return s
    return {"name": "cpython", "version": python, "description": "CPython's optional built-in modules as side modules",
            "source": {"path": "."}, "cflags": CFLAGS, "includes": ["Include/internal"],
            "modules": {m: spec(m) for m in MODULES}}


def build(src: Path, stage: Path, python: str, ext_suffix: str, soabi: str, zig: Path, out: Path) -> dict:
    sys.path.insert(0, str(HERE.parent / "extensions"))
    import build_extension as be  # noqa: E402

    with tempfile.TemporaryDirectory(prefix="pymode-dynload-") as tmp:
        tree = Path(tmp) / "src"
        for d in SOURCE_DIRS:
            shutil.copytree(src / d, tree / d)
        for f in SOURCE_FILES:
            (tree / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src / f, tree / f)
        (tree / "recipe.json").write_text(json.dumps(recipe(python, tree.resolve()), indent=1))
        # The extension builder reads the runtime from a directory: the staged headers and the facts the
        # manifest will carry (build.sh writes the real manifest after this step).
        rt = Path(tmp) / "runtime"
        rt.mkdir()
        (rt / "include").symlink_to(stage / "include")
        (rt / "manifest.json").write_text(json.dumps({
            "python": python, "key": "staged", "extensions": {"ext_suffix": ext_suffix, "soabi": soabi, "abi_version": 1}}))
        built = Path(tmp) / "out"
        try:
            m = be.build(tree / "recipe.json", rt, built, zig, None, asyncify=True, use_cache=False, keep_cache=False)
        except (be.BuildError, be.RecipeError) as e:
            raise SystemExit(f"mkdynload: {e}")
        out.mkdir(parents=True, exist_ok=True)
        for f in sorted((built / "site").iterdir()):
            shutil.copyfile(f, out / f.name)
        return m["modules"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--list", action="store_true", help="print the module names and stop")
    ap.add_argument("--src", type=Path)
    ap.add_argument("--runtime-stage", type=Path)
    ap.add_argument("--python")
    ap.add_argument("--ext-suffix")
    ap.add_argument("--soabi")
    ap.add_argument("--zig", type=Path)
    ap.add_argument("--out", type=Path)
    a = ap.parse_args()
    if a.list:
        print("\n".join(MODULES))
        return 0
    missing = [k for k in ("src", "runtime_stage", "python", "ext_suffix", "soabi", "zig", "out") if getattr(a, k) is None]
    if missing:
        ap.error("missing " + ", ".join("--" + k.replace("_", "-") for k in missing))
    print(json.dumps(build(a.src, a.runtime_stage, a.python, a.ext_suffix, a.soabi, a.zig, a.out), indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
