#!/usr/bin/env python3
"""Rewrite one-parameter METH_NOARGS/METH_O methods and getters to the signature CPython calls them with.

    fix_casts.py SRC_DIR SOURCE.c [SOURCE.c ...]

A maintainer tool for writing recipe patches (recipes/patches/<name>/*.patch): run it on an unpacked
copy of the sdist, check that it compiles, and `diff -ru` the result against a pristine copy. It uses
build_extension.cast_signature_warnings to find the functions and appends `PyObject *Py_UNUSED(unused)`
parameters to their definitions (and to prototypes of the same shape). Direct calls of the rewritten
functions, if any, fail to compile afterwards and must be fixed by hand (pass NULL).
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_extension import cast_signature_warnings  # noqa: E402

WARNING = re.compile(r"^(?P<kind>.+?) (?P<name>\w+)\((?P<params>.*)\) takes (?P<have>\d+) parameter\(s\), CPython passes (?P<want>\d+)")


def main(argv: list[str]) -> int:
    src = Path(argv[0])
    sources = argv[1:]
    fixes = {}
    for w in cast_signature_warnings(src, sources):
        m = WARNING.match(w)
        if m:
            fixes[m["name"]] = int(m["want"]) - int(m["have"])
    changed = 0
    for path in sorted(src.rglob("*")):
        if path.suffix not in (".c", ".h") or not path.is_file():
            continue
        text = path.read_text(errors="replace")
        new = text
        for name, missing in fixes.items():
            extra = "".join(f", PyObject *Py_UNUSED(unused{i or ''})" for i in range(missing))
            # definitions and prototypes: `name(params)` followed by `{` or `;`, params without a comma-free call form
            pat = re.compile(r"(\b" + re.escape(name) + r"\s*\()([^(),;]*?\b\w+\s*\*?\s*\w+)(\s*\)\s*(?:\{|;))")
            new = pat.sub(lambda m: m.group(1) + m.group(2) + extra + m.group(3), new)
        if new != text:
            path.write_text(new)
            changed += 1
    print(f"{len(fixes)} function(s) rewritten in {changed} file(s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
