#!/usr/bin/env python3
"""Make python.wasm's indirect function table growable (drop its maximum), in place.

The side-module linker (worker/src/runtime/dynlink.ts, issue #7) appends each side module's
functions to the exported `__indirect_function_table` with Table.grow. wasm-ld gives the table a
maximum equal to its size unless --growable-table is passed, and zig cc's linker driver refuses
that flag, so the limit is removed here, after wasm-opt (which keeps the limits it reads).

usage: growable_table.py FILE.wasm [...]
"""
from __future__ import annotations

import os
import sys

# build.sh runs this with `python -I`, which leaves the script's directory off sys.path
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wasminfo import section, sections_at, uleb, uleb_at  # noqa: E402


def make_growable(data: bytes) -> tuple[bytes, int]:
    """Returns the new bytes and how many table maxima were dropped."""
    if data[:8] != b"\0asm\x01\0\0\0":
        raise ValueError("not a wasm module")
    out = bytearray(data[:8])
    dropped = 0
    for sid, start, body, end in sections_at(data):
        if sid == 4:  # table section: vec(reftype limits)
            count, p = uleb_at(data, body)
            new = bytearray(uleb(count))
            for _ in range(count):
                reftype, flags = data[p], data[p + 1]
                mn, p = uleb_at(data, p + 2)
                if flags & 1:
                    _, p = uleb_at(data, p)
                    dropped += 1
                new += bytes([reftype, flags & ~1]) + uleb(mn)
            if p != end:
                raise ValueError("unexpected bytes in the table section")
            out += section(4, bytes(new))
        else:
            out += data[start:end]
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
