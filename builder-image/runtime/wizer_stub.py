#!/usr/bin/env python3
"""Write the `pymode` import stub module that snapshot.sh preloads into Wizer.

Wizer instantiates python.wasm with WASI only; the `pymode.*` host imports (docs/abi.md section 2)
must come from somewhere at snapshot time. `wizer --preload pymode=<this module>` satisfies them
during initialisation only; the snapshot keeps importing them from the real host.

Behaviour during `wizer.initialize`:
  call, dl_open                    trap (`unreachable`): initialisation must not perform an async
                                   host call (Asyncify cannot suspend under Wizer, and the result
                                   would be baked into every instance); Wizer then fails loudly.
  dl_sym                           returns -6 (not supported)
  result_take                      returns -1 (nothing pending)
  log                              ignored (python.wasm also writes the line to stderr)
"""
from __future__ import annotations

import sys

from wasminfo import section, uleb  # the one LEB128/section encoder

I32 = 0x7F


def _vec(items: list[bytes]) -> bytes:
    return uleb(len(items)) + b"".join(items)


def _name(s: str) -> bytes:
    b = s.encode()
    return uleb(len(b)) + b


UNREACHABLE = b"\x00"
CONST_M1 = b"\x41\x7f"     # i32.const -1
CONST_M6 = b"\x41\x7a"     # i32.const -6

# name -> (params, results, body)
FUNCS = [
    ("call", [I32] * 6, [I32], UNREACHABLE),
    ("dl_open", [I32] * 2, [I32], UNREACHABLE),
    ("dl_sym", [I32] * 3, [I32], CONST_M6),
    ("result_take", [I32] * 2, [I32], CONST_M1),
    ("log", [I32] * 3, [], b""),
]


def build() -> bytes:
    types: list[tuple] = []
    func_types = []
    for _, params, results, _ in FUNCS:
        sig = (tuple(params), tuple(results))
        if sig not in types:
            types.append(sig)
        func_types.append(types.index(sig))
    type_sec = _vec([b"\x60" + _vec([bytes([p]) for p in ps]) + _vec([bytes([r]) for r in rs])
                     for ps, rs in types])
    func_sec = _vec([uleb(t) for t in func_types])
    export_sec = _vec([_name(name) + b"\x00" + uleb(i) for i, (name, *_rest) in enumerate(FUNCS)])
    bodies = []
    for _, _, _, body in FUNCS:
        code = b"\x00" + body + b"\x0b"  # no locals, body, end
        bodies.append(uleb(len(code)) + code)
    code_sec = _vec(bodies)
    return (b"\0asm\x01\0\0\0" + section(1, type_sec) + section(3, func_sec)
            + section(7, export_sec) + section(10, code_sec))


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: wizer_stub.py OUT.wasm", file=sys.stderr)
        return 2
    with open(argv[1], "wb") as f:
        f.write(build())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
