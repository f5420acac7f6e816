#!/usr/bin/env python3
"""Make python.wasm's indirect function table growable (drop its maximum), in place.

The side-module linker (worker/src/runtime/dynlink.ts, issue #7) appends each side module's
functions to the exported `__indirect_function_table` with Table.grow. wasm-ld gives the table a
maximum equal to its size unless --growable-table is passed, and zig cc's linker driver refuses
that flag, so the limit is removed here, after wasm-opt (which keeps the limits it reads).

usage: growable_table.py FILE.wasm [...]
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


def make_growable(data: bytes) -> tuple[bytes, int]:
    """Returns the new bytes and how many table maxima were dropped."""
    if data[:8] != b"\0asm\x01\0\0\0":
        raise ValueError("not a wasm module")
    out = bytearray(data[:8])
    pos, dropped = 8, 0
    while pos < len(data):
        sid = data[pos]
        size, body = _uleb(data, pos + 1)
        end = body + size
        if sid == 4:  # table section: vec(reftype limits)
            count, p = _uleb(data, body)
            new = bytearray(_enc(count))
            for _ in range(count):
                reftype, flags = data[p], data[p + 1]
                mn, p = _uleb(data, p + 2)
                if flags & 1:
                    _, p = _uleb(data, p)
                    dropped += 1
                new += bytes([reftype, flags & ~1]) + _enc(mn)
            if p != end:
                raise ValueError("unexpected bytes in the table section")
            out += bytes([4]) + _enc(len(new)) + new
        else:
            out += data[pos:end]
        pos = end
    return bytes(out), dropped


def main(argv: list[str]) -> int:
    for path in argv:
        with open(path, "rb") as f:
            data = f.read()
        new, dropped = make_growable(data)
        with open(path, "wb") as f:
            f.write(new)
        print(f"{path}: {dropped} table maximum(s) dropped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
