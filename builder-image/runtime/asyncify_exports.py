#!/usr/bin/env python3
"""Export Asyncify's two globals from an asyncified python.wasm, in place.

C-extension side modules are asyncified too (issue #7: `wasm-opt --asyncify
--pass-arg=asyncify-relocatable`), so a host call may suspend while one of their frames is on the
stack. Relocatable Asyncify code imports `env.__asyncify_state` and `env.__asyncify_data`; they must
be python.wasm's own, which wasm-opt (binaryen 108) keeps internal. This finds them and adds exports of
the same names:
  state = the global `asyncify_get_state` returns (its body is `global.get $state`)
  data  = the other global `asyncify_start_unwind` sets
usage: asyncify_exports.py python.wasm
"""
from __future__ import annotations

import os
import sys

# build.sh runs this with `python -I`, which leaves the script's directory off sys.path
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wasminfo import imported_functions, name_at, section, sections_at, uleb, uleb_at  # noqa: E402


def _globals_in(body: bytes, op: int) -> list[int]:
    """Indices used by global.get (0x23) / global.set (0x24) in a tiny function body (no other immediates
    that could contain those bytes are expected there: i32.const, local.get, global.*, if/else/end, unreachable)."""
    out, p = [], 0
    while p < len(body):
        b = body[p]
        p += 1
        if b in (0x23, 0x24):
            idx, p = uleb_at(body, p)
            if b == op:
                out.append(idx)
        elif b in (0x41, 0x20, 0x21, 0x22):  # i32.const, local.get/set/tee
            _, p = uleb_at(body, p)
        elif b in (0x28, 0x36):  # i32.load/store memarg
            _, p = uleb_at(body, p)
            _, p = uleb_at(body, p)
        elif b in (0x04, 0x02, 0x03):  # if/block/loop blocktype
            p += 1
    return out


def export_asyncify_globals(data: bytes) -> bytes:
    secs = {sid: (start, body, end) for sid, start, body, end in sections_at(data)}
    if 7 not in secs or 10 not in secs:
        raise ValueError("no export or code section")
    nimp = len(imported_functions(data, secs[2][1])) if 2 in secs else 0
    _, body, end = secs[7]
    count, p = uleb_at(data, body)
    exports = {}
    for _ in range(count):
        name, p = name_at(data, p)
        kind = data[p]
        idx, p = uleb_at(data, p + 1)
        exports[name] = (kind, idx)
    if "__asyncify_state" in exports:
        return data
    for need in ("asyncify_get_state", "asyncify_start_unwind"):
        if exports.get(need, (None,))[0] != 0:
            raise ValueError(f"{need} is not exported: is this an asyncified module?")
    # function bodies
    _, cbody, _ = secs[10]
    n, p = uleb_at(data, cbody)
    want = {exports["asyncify_get_state"][1] - nimp: "get", exports["asyncify_start_unwind"][1] - nimp: "unwind"}
    found = {}
    for i in range(n):
        size, q = uleb_at(data, p)
        if i in want:
            fb = data[q:q + size]
            nlocals, r = uleb_at(fb, 0)
            for _ in range(nlocals):
                _, r = uleb_at(fb, r)
                r += 1
            found[want[i]] = fb[r:]
        p = q + size
    gets = _globals_in(found["get"], 0x23)
    if len(gets) != 1:
        raise ValueError(f"asyncify_get_state reads {len(gets)} globals, expected 1")
    state = gets[0]
    sets = [g for g in _globals_in(found["unwind"], 0x24) if g != state]
    if len(set(sets)) != 1:
        raise ValueError(f"asyncify_start_unwind sets globals {sets} besides the state, expected exactly one")
    data_g = sets[0]
    entries = data[uleb_at(data, body)[1]:end]
    for name, idx in (("__asyncify_state", state), ("__asyncify_data", data_g)):
        entries += uleb(len(name)) + name.encode() + bytes([3]) + uleb(idx)
    start = secs[7][0]
    return data[:start] + section(7, uleb(count + 2) + entries) + data[end:]


def main(argv: list[str]) -> int:
    for path in argv:
        with open(path, "rb") as f:
            data = f.read()
        with open(path, "wb") as f:
            f.write(export_asyncify_globals(data))
        print(f"{path}: __asyncify_state and __asyncify_data exported", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
