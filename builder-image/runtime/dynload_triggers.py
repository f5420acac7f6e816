#!/usr/bin/env python3
"""What worker/scripts/bundle.mjs looks for in a project's Python sources to decide whether a bundle ships
one of the runtime's side modules (mkdynload.py MODULES):

    dynload_triggers.py CPYTHON_LIB > worker/scripts/runtime-modules.json

For each module, `words` (matched case-insensitively as whole words, `-` read as `_`) are derived from the
stdlib: the module's name, and every stdlib module that imports it when it is imported (its module-level
imports, followed transitively through the stdlib the runtime's zip holds; mkstdlib.py EXCLUDED aside):
- such a module in `encodings` is a codec: its words are the encoding's name and aliases (Lib/encodings/
  aliases.py), so `'x'.encode('shift_jis')` ships _codecs_jp and _multibytecodec;
- any other: the name of its top-level package, as a project names it in an import (`decimal`,
  `statistics`, `xmlrpc`, `xml`). The whole package, because a package's modules import each other on use
  too (xml.dom.minidom.parseString imports xml.dom.expatbuilder, ElementTree's XMLParser imports
  xml.parsers.expat), which no module-level scan sees.
`needs`: the other side modules it imports when it is initialised (a CJK codec: _multibytecodec; _elementtree:
pyexpat, through the `pyexpat.expat_CAPI` capsule), which bundle.mjs ships with it.
unicodedata also has `name_escapes` (a `\\N{...}` escape: compiling it or a re pattern with one imports
unicodedata) and `non_ascii` (any non-ASCII character: traceback measures the caret line under a non-ASCII
source line with unicodedata). builder-image/tests/test_dynload.py checks that the committed file is what
this prints for the runtime's CPython.
"""
from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mkdynload import MODULES  # noqa: E402
from mkstdlib import excluded  # noqa: E402

# Side module -> the side modules its init function imports (C code, which no scan of Lib/ sees).
NEEDS = {**{m: ["_multibytecodec"] for m in MODULES if m.startswith("_codecs_")}, "_elementtree": ["pyexpat"]}


def module_imports(lib: Path) -> dict[str, set[str]]:
    """stdlib module -> the modules its module-level statements import (not those inside functions)."""
    graph: dict[str, set[str]] = {}
    for f in sorted(lib.rglob("*.py")):
        rel = f.relative_to(lib)
        if excluded(rel.as_posix()):
            continue
        parts = list(rel.with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        if is_pkg:
            parts.pop()
        package = parts if is_pkg else parts[:-1]
        try:
            tree = ast.parse(f.read_bytes())
        except SyntaxError:  # a file for another Python (e.g. a test's bad syntax): it imports nothing here
            continue
        names: set[str] = set()

        def visit(node: ast.AST) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                    continue
                if isinstance(child, ast.Import):
                    names.update(a.name for a in child.names)
                elif isinstance(child, ast.ImportFrom):
                    base = package[:len(package) - child.level + 1] if child.level else []
                    mod = ".".join(base + ([child.module] if child.module else []))
                    names.add(mod)
                    names.update(f"{mod}.{a.name}" for a in child.names)
                visit(child)

        visit(tree)
        graph[".".join(parts)] = names
    return graph


def importers(graph: dict[str, set[str]], module: str) -> set[str]:
    """The stdlib modules whose import imports `module`, directly or through others."""
    found = {module}
    while True:
        more = {m for m, names in graph.items() if m not in found and names & found}
        if not more:
            return found - {module}
        found |= more


def triggers(lib: Path) -> dict:
    aliases = ast.literal_eval((lib / "encodings" / "aliases.py").read_text().split("aliases = ", 1)[1])
    graph = module_imports(lib)
    out = {}
    for m in MODULES:
        words = {m}
        for imp in importers(graph, m):
            top, _, rest = imp.partition(".")
            if top == "encodings" and rest:
                words.add(rest)
                words.update(a for a, enc in aliases.items() if enc == rest)
            else:
                words.add(top)
        out[m] = {"words": sorted(words)}
        if m in NEEDS:
            out[m]["needs"] = NEEDS[m]
    out["unicodedata"].update(name_escapes=True, non_ascii=True)
    return out


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    print(json.dumps(triggers(Path(sys.argv[1])), indent=1, sort_keys=True))
