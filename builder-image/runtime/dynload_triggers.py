#!/usr/bin/env python3
"""What worker/scripts/bundle.mjs looks for in a project's Python sources to decide whether a bundle ships
one of the runtime's side modules (mkdynload.py MODULES):

    dynload_triggers.py CPYTHON_LIB > worker/scripts/runtime-modules.json

For each module: `words` (matched case-insensitively as whole words, `-` read as `_`): its name; for a CJK
codec the names and aliases of the encodings it implements (CPython's Lib/encodings); _multibytecodec, which
every CJK codec needs, has all of theirs; for unicodedata the stdlib modules that import it on use
(stringprep, the idna codec). unicodedata also has `name_escapes` (a `\\N{...}` escape: compiling it or a
re pattern with one imports unicodedata) and `non_ascii` (any non-ASCII character: traceback measures the
caret line under a non-ASCII source line with unicodedata). builder-image/tests/test_dynload.py checks that
the committed file is what this prints for the runtime's CPython.
"""
from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mkdynload import MODULES  # noqa: E402


def triggers(lib: Path) -> dict:
    aliases = ast.literal_eval((lib / "encodings" / "aliases.py").read_text().split("aliases = ", 1)[1])
    names: dict[str, set[str]] = {m: {m} for m in MODULES}
    for f in sorted((lib / "encodings").glob("*.py")):
        m = re.search(r"^import (_codecs_\w+)", f.read_text(), re.M)
        if m and m.group(1) in MODULES:
            names[m.group(1)].add(f.stem)
            names[m.group(1)].update(a for a, enc in aliases.items() if enc == f.stem)
    codecs = [m for m in MODULES if m.startswith("_codecs_")]
    out = {m: {"words": sorted(names[m])} for m in MODULES}
    out["_multibytecodec"]["words"] = sorted(set().union(*(names[m] for m in ["_multibytecodec", *codecs])))
    out["unicodedata"] = {"words": sorted(names["unicodedata"] | {"stringprep", "idna"}), "name_escapes": True,
                          "non_ascii": True}
    return out


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    print(json.dumps(triggers(Path(sys.argv[1])), indent=1, sort_keys=True))
