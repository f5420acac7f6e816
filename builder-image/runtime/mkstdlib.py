#!/usr/bin/env python3
"""Build python313.zip: the CPython standard library as compiled .pyc files, for python.wasm.

Run it with the native build Python of the *same* CPython version (the .pyc magic number and the
bytecode must match python.wasm). The zip is deterministic: entries sorted, fixed timestamps, stored
(no compression), unchecked hash-based .pyc (no source mtime inside, no source in the zip, so the
import system never looks for one), and build-machine paths in _sysconfigdata rewritten.

Docstrings are stripped from the stdlib's code (module, class and function docstrings; `__doc__` is
None for them, as under `python -OO`, but asserts stay and sys.flags.optimize stays 0): 14% fewer
gzip bytes (builder-image/bench/runtime_variants.py). Only the stdlib: projects keep their own.
`--docstrings keep`, `--compression deflated`, `--keep PREFIX` and `--exclude PREFIX` exist for the
benchmark, which measures what each choice costs.

The zip is placed at /lib/python313.zip in the guest: with PYTHONHOME=/ CPython's getpath puts
`<prefix>/lib/python313.zip` first on sys.path, and zipimport serves the stdlib from it.

Excluded (see EXCLUDED below and builder-image/runtime/README.md): tests, GUI/IDE, packaging tools,
and modules whose C part cannot exist under WASI in this build.
"""
from __future__ import annotations

import argparse
import ast
import importlib.util
import io
import os
import sys
import zipfile

# path prefix (relative to Lib/, "/" = a directory) -> why it is left out
EXCLUDED = {
    "test/": "CPython's test suite (~30 MB); not needed at run time",
    "idlelib/": "IDLE needs tkinter",
    "tkinter/": "no Tk under WASI (_tkinter is n/a)",
    "turtle.py": "needs tkinter",
    "turtledemo/": "needs tkinter",
    "ensurepip/": "bundles pip wheels; packages are resolved by the builder, not in the guest",
    "venv/": "virtual environments cannot be created in the guest",
    "lib2to3/": "removed from 3.13 (listed for older trees)",
    "pydoc_data/": "help() topic texts (~700 KB); pydoc still works without topics",
    "__phello__/": "test package for frozen modules",
    "site-packages/": "empty placeholder; pure-Python packages come from /lib/site",
    "idle.pyw": "IDLE launcher",
    "antigravity.py": "opens a web browser",
    "webbrowser.py": "no browser in the guest",
    "_aix_support.py": "AIX only",
    "_osx_support.py": "macOS only",
    "_ios_support.py": "iOS only",
    "_pydecimal.py": "pure-Python decimal; the C _decimal is built in (as in CPython's wasm_assets.py)",
    "_pyio.py": "pure-Python io; the C _io is built in (as in CPython's wasm_assets.py)",
    "ctypes/": "_ctypes is not built (no libffi for wasm32-wasi); importing it fails either way",
    "curses/": "_curses is n/a on WASI",
    "dbm/gnu.py": "_gdbm is n/a on WASI",
    "dbm/ndbm.py": "_dbm is n/a on WASI",
    "dbm/sqlite3.py": "_sqlite3 is not built",
    "sqlite3/": "_sqlite3 is not built (no sqlite for wasm32-wasi in this build)",
    "multiprocessing/": "no processes and no threads under WASI (_multiprocessing is n/a)",
    "concurrent/futures/process.py": "needs multiprocessing",
    # Trimmed for the edge (issue #13 item 2): these cannot do their job in a request handler.
    "_pydatetime.py": "pure-Python datetime; the C _datetime is built in (datetime imports _pydatetime only without it)",
    "_pyrepl/": "the new interactive REPL (3.13) needs a terminal and termios; __init__, __main__, main, trace, pager stay (basic-REPL fallback, pydoc)",
}
# Kept although under an EXCLUDED prefix: pydoc (help(), and xmlrpc.server imports it) needs _pyrepl.pager;
# on a terminal, CPython's main runs `-m _pyrepl`, whose main.py falls back to the basic REPL (sys._baserepl)
# when the rest of _pyrepl cannot import.
KEPT = {"_pyrepl/__init__.py", "_pyrepl/pager.py", "_pyrepl/__main__.py", "_pyrepl/main.py", "_pyrepl/trace.py"}


def excluded(rel: str, prefixes=EXCLUDED) -> bool:
    if rel in KEPT:
        return False
    for prefix in prefixes:
        if prefix.endswith("/"):
            if rel.startswith(prefix):
                return True
        elif rel == prefix:
            return True
    return False


class _StripDocstrings(ast.NodeTransformer):
    """Drop the docstring of every module, class and function (what -OO drops, nothing else)."""

    def _strip(self, node):
        self.generic_visit(node)
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
            node.body = body[1:] or [ast.copy_location(ast.Pass(), body[0])]
        return node

    visit_Module = visit_ClassDef = visit_FunctionDef = visit_AsyncFunctionDef = _strip


def compile_pyc(source: bytes, display_name: str, strip_docstrings: bool = False) -> bytes:
    if strip_docstrings:
        tree = _StripDocstrings().visit(ast.parse(source, display_name))
        code = compile(tree, display_name, "exec", dont_inherit=True, optimize=0)
    else:
        code = compile(source, display_name, "exec", dont_inherit=True, optimize=0)
    source_hash = importlib.util.source_hash(source)
    from importlib._bootstrap_external import _code_to_hash_pyc  # type: ignore[attr-defined]
    return bytes(_code_to_hash_pyc(code, source_hash, checked=False))


def zip_entry(name: str, mtime: int, compress_type: int = zipfile.ZIP_STORED) -> zipfile.ZipInfo:
    import time
    # Zip timestamps are local-free DOS times; use UTC so TZ does not matter. 1980 is the minimum.
    t = time.gmtime(max(mtime, 315532800))
    info = zipfile.ZipInfo(name, date_time=t[:6])
    info.compress_type = compress_type
    info.create_system = 3
    info.external_attr = (0o100644 << 16)
    return info


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lib", required=True, help="CPython source Lib/ directory")
    ap.add_argument("--sysconfigdata", required=True, help="_sysconfigdata_*.py of the wasm build")
    ap.add_argument("--path-map", action="append", default=[],
                    help="OLD=NEW prefix rewrite applied to _sysconfigdata (build-machine paths)")
    ap.add_argument("--mtime", type=int, required=True, help="timestamp for every entry (SOURCE_DATE_EPOCH)")
    ap.add_argument("--zip-prefix", default="/lib/python313.zip",
                    help="guest path of the zip, used for co_filename in tracebacks")
    ap.add_argument("--out", required=True)
    ap.add_argument("--listing", help="write the excluded paths (with reasons) here")
    ap.add_argument("--docstrings", choices=("strip", "keep"), default="strip",
                    help="strip the stdlib's docstrings (default) or keep them")
    ap.add_argument("--compression", choices=("stored", "deflated"), default="stored",
                    help="zip entries stored (default; the upload is gzipped as a whole) or deflated")
    ap.add_argument("--keep", action="append", default=[], metavar="PREFIX",
                    help="do not exclude this EXCLUDED prefix (benchmark variants)")
    ap.add_argument("--exclude", action="append", default=[], metavar="PREFIX",
                    help="exclude this path prefix too (benchmark variants)")
    args = ap.parse_args(argv)
    unknown = [k for k in args.keep if k not in EXCLUDED]
    if unknown:
        ap.error(f"--keep {unknown[0]!r} is not an EXCLUDED prefix")
    exclusions = {p: why for p, why in EXCLUDED.items() if p not in args.keep}
    exclusions.update({p: "excluded on the command line" for p in args.exclude})
    strip = args.docstrings == "strip"
    compress_type = zipfile.ZIP_DEFLATED if args.compression == "deflated" else zipfile.ZIP_STORED

    tag = f"{sys.version_info.major}{sys.version_info.minor}"
    if not args.zip_prefix.endswith(f"python{tag}.zip"):
        print(f"mkstdlib: this Python is {sys.version.split()[0]}, zip name {args.zip_prefix} does not match",
              file=sys.stderr)
        return 2

    entries: dict[str, bytes] = {}
    skipped: list[str] = []
    for root, dirs, files in os.walk(args.lib):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for fn in sorted(files):
            path = os.path.join(root, fn)
            rel = os.path.relpath(path, args.lib).replace(os.sep, "/")
            if excluded(rel, exclusions):
                skipped.append(rel)
                continue
            if not fn.endswith(".py"):
                continue  # data files (docs, templates, wheels of excluded packages) are not needed
            with open(path, "rb") as f:
                source = f.read()
            entries[rel[:-3] + ".pyc"] = compile_pyc(source, f"{args.zip_prefix}/{rel}", strip)

    with open(args.sysconfigdata, "r", encoding="utf-8") as f:
        text = f.read()
    for mapping in args.path_map:
        old, _, new = mapping.partition("=")
        if not old or not new:
            ap.error(f"--path-map needs OLD=NEW, got {mapping!r}")
        text = text.replace(old, new)
    name = os.path.basename(args.sysconfigdata)
    entries[name[:-3] + ".pyc"] = compile_pyc(text.encode(), f"{args.zip_prefix}/{name}", strip)

    # Directory entries are not needed by zipimport (it finds packages through __init__.pyc).
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compress_type, compresslevel=9) as zf:
        for rel in sorted(entries):
            zf.writestr(zip_entry(rel, args.mtime, compress_type), entries[rel], compresslevel=9)
    tmp = args.out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(buf.getvalue())
    os.replace(tmp, args.out)

    if args.listing:
        with open(args.listing, "w", encoding="utf-8") as f:
            for prefix, why in exclusions.items():
                n = sum(1 for s in skipped if (s.startswith(prefix) if prefix.endswith("/") else s == prefix))
                f.write(f"{prefix}\t{n} files\t{why}\n")
    print(f"mkstdlib: {len(entries)} modules, {len(buf.getvalue())} bytes -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
