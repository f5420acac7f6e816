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

import sys


def _uleb(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return result, pos


def _enc(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _name(data: bytes, pos: int) -> tuple[str, int]:
    n, pos = _uleb(data, pos)
    return data[pos:pos + n].decode(), pos + n


def _sections(data: bytes):
    pos = 8
    while pos < len(data):
        sid = data[pos]
        size, body = _uleb(data, pos + 1)
        yield sid, pos, body, body + size
        pos = body + size


def _imported_funcs(data: bytes, body: int) -> int:
    count, p = _uleb(data, body)
    funcs = 0
    for _ in range(count):
        _, p = _name(data, p)
        _, p = _name(data, p)
        kind = data[p]
        p += 1
        if kind == 0:
            _, p = _uleb(data, p)
            funcs += 1
        elif kind == 1:
            p += 1
            flags = data[p]
            _, p = _uleb(data, p + 1)
            if flags & 1:
                _, p = _uleb(data, p)
        elif kind == 2:
            flags = data[p]
            _, p = _uleb(data, p + 1)
            if flags & 1:
                _, p = _uleb(data, p)
        elif kind == 3:
            p += 2
        else:
            raise ValueError(f"unknown import kind {kind}")
    return funcs


def _globals_in(body: bytes, op: int) -> list[int]:
    """Indices used by global.get (0x23) / global.set (0x24) in a tiny function body (no other immediates
    that could contain those bytes are expected there: i32.const, local.get, global.*, if/else/end, unreachable)."""
    out, p = [], 0
    while p < len(body):
        b = body[p]
        p += 1
        if b in (0x23, 0x24):
            idx, p = _uleb(body, p)
            if b == op:
                out.append(idx)
        elif b in (0x41, 0x20, 0x21, 0x22):  # i32.const, local.get/set/tee
            _, p = _uleb(body, p)
        elif b in (0x28, 0x36):  # i32.load/store memarg
            _, p = _uleb(body, p)
            _, p = _uleb(body, p)
        elif b in (0x04, 0x02, 0x03):  # if/block/loop blocktype
            p += 1
    return out


def export_asyncify_globals(data: bytes) -> bytes:
    secs = {sid: (start, body, end) for sid, start, body, end in _sections(data)}
    if 7 not in secs or 10 not in secs:
        raise ValueError("no export or code section")
    nimp = _imported_funcs(data, secs[2][1]) if 2 in secs else 0
    _, body, end = secs[7]
    count, p = _uleb(data, body)
    exports = {}
    for _ in range(count):
        name, p = _name(data, p)
        kind = data[p]
        idx, p = _uleb(data, p + 1)
        exports[name] = (kind, idx)
    if "__asyncify_state" in exports:
        return data
    for need in ("asyncify_get_state", "asyncify_start_unwind"):
        if exports.get(need, (None,))[0] != 0:
            raise ValueError(f"{need} is not exported: is this an asyncified module?")
    # function bodies
    _, cbody, _ = secs[10]
    n, p = _uleb(data, cbody)
    want = {exports["asyncify_get_state"][1] - nimp: "get", exports["asyncify_start_unwind"][1] - nimp: "unwind"}
    found = {}
    for i in range(n):
        size, q = _uleb(data, p)
        if i in want:
            fb = data[q:q + size]
            nlocals, r = _uleb(fb, 0)
            for _ in range(nlocals):
                _, r = _uleb(fb, r)
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
    entries = data[_uleb(data, body)[1]:end]
    for name, idx in (("__asyncify_state", state), ("__asyncify_data", data_g)):
        entries += _enc(len(name)) + name.encode() + bytes([3]) + _enc(idx)
    new_body = _enc(count + 2) + entries
    start = secs[7][0]
    return data[:start] + bytes([7]) + _enc(len(new_body)) + new_body + data[end:]


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
