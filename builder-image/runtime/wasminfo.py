#!/usr/bin/env python3
"""Minimal WebAssembly binary reader: imports, exports, memories, globals, custom sections.

Used by the runtime tests and the build (manifest) to check what python.wasm imports and exports.
Only the sections needed for that are decoded; everything else is skipped by its size.
It also holds the one LEB128 and section encoding that the scripts which edit or scan wasm bytes share
(growable_table.py, asyncify_exports.py, extensions/build_extension.py and build_rust_extension.py).
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field

KIND = {0: "func", 1: "table", 2: "memory", 3: "global", 4: "tag"}
SECTION = {0: "custom", 1: "type", 2: "import", 3: "function", 4: "table", 5: "memory",
           6: "global", 7: "export", 8: "start", 9: "element", 10: "code", 11: "data",
           12: "datacount", 13: "tag"}
VALTYPE = {0x7F: "i32", 0x7E: "i64", 0x7D: "f32", 0x7C: "f64", 0x7B: "v128",
           0x70: "funcref", 0x6F: "externref"}


class WasmError(ValueError):
    pass


# ---- byte-level helpers for the scripts that edit or scan wasm bytes -------------------------------

def uleb_at(data: bytes, pos: int) -> tuple[int, int]:
    """The unsigned LEB128 number at `pos` and the position after it."""
    result = shift = 0
    while True:
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return result, pos


def uleb(n: int) -> bytes:
    """`n` as unsigned LEB128, in the fewest bytes."""
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def name_at(data: bytes, pos: int, errors: str = "strict") -> tuple[str, int]:
    """The wasm name (LEB128 length + UTF-8) at `pos` and the position after it."""
    n, pos = uleb_at(data, pos)
    return data[pos:pos + n].decode("utf-8", errors), pos + n


def sections_at(data: bytes):
    """(section id, start, body start, end) of each section of a module or object file, in order."""
    pos = 8
    while pos < len(data):
        sid = data[pos]
        size, body = uleb_at(data, pos + 1)
        yield sid, pos, body, body + size
        pos = body + size


def section(sid: int, body: bytes) -> bytes:
    """A whole section: id, LEB128 size, body."""
    return bytes([sid]) + uleb(len(body)) + body


def custom_section(name: str, payload: bytes) -> bytes:
    """A custom section (id 0) called `name` holding `payload`."""
    encoded = name.encode()
    return section(0, uleb(len(encoded)) + encoded + payload)


def imported_functions(data: bytes, body: int) -> list[tuple[str, str]]:
    """(module, field) of each function import, in index order, of the import section whose body starts at `body`."""
    count, p = uleb_at(data, body)
    funcs = []
    for _ in range(count):
        module, p = name_at(data, p, "replace")
        field, p = name_at(data, p, "replace")
        kind = data[p]
        p += 1
        if kind == 0:  # func: type index
            _, p = uleb_at(data, p)
            funcs.append((module, field))
        elif kind in (1, 2):  # table: reftype + limits; memory: limits
            if kind == 1:
                p += 1
            flags = data[p]
            _, p = uleb_at(data, p + 1)
            if flags & 1:
                _, p = uleb_at(data, p)
        elif kind == 3:  # global: valtype, mutability
            p += 2
        elif kind == 4:  # tag: attribute, type index
            _, p = uleb_at(data, p + 1)
        else:
            raise WasmError(f"unknown import kind {kind}")
    return funcs


class _Reader:
    def __init__(self, data: bytes, pos: int = 0, end: int | None = None):
        self.data, self.pos = data, pos
        self.end = len(data) if end is None else end

    def byte(self) -> int:
        if self.pos >= self.end:
            raise WasmError("unexpected end of data")
        b = self.data[self.pos]
        self.pos += 1
        return b

    def u32(self) -> int:
        result = shift = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result
            shift += 7
            if shift > 35:
                raise WasmError("LEB128 too long")

    def s_leb(self, bits: int) -> int:
        result = shift = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                if b & 0x40 and shift < bits + 7:
                    result -= 1 << shift
                return result

    def bytes(self, n: int) -> bytes:
        if self.pos + n > self.end:
            raise WasmError("unexpected end of data")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def name(self) -> str:
        return self.bytes(self.u32()).decode("utf-8")

    def limits(self) -> dict:
        flags = self.byte()
        out = {"min": self.u32()}
        if flags & 1:
            out["max"] = self.u32()
        if flags & 2:
            out["shared"] = True
        return out


@dataclass
class Module:
    types: list = field(default_factory=list)          # [(params, results)]
    imports: list = field(default_factory=list)        # [{module, name, kind, type?}]
    func_types: list = field(default_factory=list)     # type index per defined function
    exports: list = field(default_factory=list)        # [{name, kind, index}]
    memories: list = field(default_factory=list)
    globals: list = field(default_factory=list)        # [{type, mutable, init}]
    sections: list = field(default_factory=list)       # [(name, size)]
    custom: dict = field(default_factory=dict)         # name -> size

    @property
    def imported_funcs(self) -> list:
        return [i for i in self.imports if i["kind"] == "func"]

    def func_signature(self, index: int) -> str:
        """Signature of function `index` in the function index space, e.g. '(i32,i32)->i32'."""
        nimp = len(self.imported_funcs)
        t = self.imported_funcs[index]["type"] if index < nimp else self.func_types[index - nimp]
        params, results = self.types[t]
        return f"({','.join(params)})->{','.join(results) or 'void'}"

    def import_signature(self, module: str, name: str) -> str:
        for i, imp in enumerate(self.imported_funcs):
            if imp["module"] == module and imp["name"] == name:
                return self.func_signature(i)
        raise KeyError(f"{module}.{name}")

    def export_signature(self, name: str) -> str:
        for e in self.exports:
            if e["name"] == name and e["kind"] == "func":
                return self.func_signature(e["index"])
        raise KeyError(name)


def _const_expr(r: _Reader):
    op = r.byte()
    if op == 0x41:
        val = r.s_leb(32)
    elif op == 0x42:
        val = r.s_leb(64)
    elif op == 0x23:
        val = ("global.get", r.u32())
    else:
        raise WasmError(f"unsupported constant expression opcode 0x{op:02x}")
    if r.byte() != 0x0B:
        raise WasmError("constant expression not terminated")
    return val


def parse(data: bytes) -> Module:
    if data[:4] != b"\0asm":
        raise WasmError("not a wasm module (bad magic)")
    if data[4:8] != b"\x01\0\0\0":
        raise WasmError("unsupported wasm version")
    m = Module()
    r = _Reader(data, 8)
    while r.pos < r.end:
        sid = r.byte()
        size = r.u32()
        s = _Reader(data, r.pos, r.pos + size)
        r.pos += size
        if sid == 0:
            cname = s.name()
            m.custom[cname] = size
            m.sections.append((f"custom:{cname}", size))
            continue
        m.sections.append((SECTION.get(sid, str(sid)), size))
        if sid == 1:
            for _ in range(s.u32()):
                if s.byte() != 0x60:
                    raise WasmError("unsupported type form")
                params = [VALTYPE.get(s.byte(), "?") for _ in range(s.u32())]
                results = [VALTYPE.get(s.byte(), "?") for _ in range(s.u32())]
                m.types.append((params, results))
        elif sid == 2:
            for _ in range(s.u32()):
                mod, name, kind = s.name(), s.name(), s.byte()
                imp = {"module": mod, "name": name, "kind": KIND.get(kind, str(kind))}
                if kind == 0:
                    imp["type"] = s.u32()
                elif kind == 1:
                    s.byte()
                    imp["limits"] = s.limits()
                elif kind == 2:
                    imp["limits"] = s.limits()
                elif kind == 3:
                    imp["valtype"] = VALTYPE.get(s.byte(), "?")
                    imp["mutable"] = bool(s.byte())
                elif kind == 4:
                    s.byte()
                    imp["type"] = s.u32()
                m.imports.append(imp)
        elif sid == 3:
            m.func_types = [s.u32() for _ in range(s.u32())]
        elif sid == 5:
            m.memories = [s.limits() for _ in range(s.u32())]
        elif sid == 6:
            for _ in range(s.u32()):
                vt, mut = VALTYPE.get(s.byte(), "?"), bool(s.byte())
                m.globals.append({"type": vt, "mutable": mut, "init": _const_expr(s)})
        elif sid == 7:
            for _ in range(s.u32()):
                name, kind, index = s.name(), s.byte(), s.u32()
                m.exports.append({"name": name, "kind": KIND.get(kind, str(kind)), "index": index})
    return m


def load(path: str) -> Module:
    with open(path, "rb") as f:
        return parse(f.read())


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: wasminfo.py MODULE.wasm", file=sys.stderr)
        return 2
    m = load(argv[1])
    out = {
        "imports": [f"{i['module']}.{i['name']}:{i['kind']}"
                    + (f"{m.func_signature(n)}" if i["kind"] == "func" else "")
                    for n, i in enumerate(m.imports)],
        "exports": [f"{e['name']}:{e['kind']}" + (m.func_signature(e["index"]) if e["kind"] == "func" else "")
                    for e in m.exports],
        "memories": m.memories,
        "globals": m.globals[:4],
        "sections": m.sections,
    }
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
