#!/usr/bin/env python3
"""The compilers, archiver and Cython a meson cross build of a recipe sees (build_extension.py writes
them into the cross file; docs/extensions.md, "meson recipes").

    wasm_toolchain.py --zig ZIG [--cython-dir D] [--prefix-map OLD=NEW ...] MODE ARGS...

MODE cc / c++ : `zig cc|c++ -target wasm32-wasi -fPIC ...` with the side-module flags of build_extension.py
                (TARGET_FLAGS), so meson's configure checks see the same target as the objects. A link
                with `-shared` (meson's shared_module / py.extension_module) becomes a side-module link:
                `zig wasm-ld --experimental-pic -shared --unresolved-symbols=import-dynamic` over the objects
                and archives, without a libc (python.wasm provides it at load time); meson's -Wl,... and -l
                flags are dropped. Any other link (meson's cc.links()/has_function() probes) is an ordinary
                wasm32-wasi executable link with zig's libc, which says what wasi-libc has.
                (C++ side modules get the builder's libc++ support archive through cpp_link_args.)
MODE ar / ranlib : `zig ar|ranlib`.
MODE cython   : the pinned Cython (pure-Python wheel unpacked in --cython-dir).
MODE pkg-config : a pkg-config that knows only python3 / python-X.Y (--python-include, --python-version:
                the runtime's headers, no libpython) and answers "not found" for everything else, so a
                cross build never picks up a library of the build machine (meson's Cython sanity check
                looks python3 up this way, bypassing python.build_config).
"""
from __future__ import annotations

import os
import shlex
import subprocess
import sys

TARGET_FLAGS = ["-target", "wasm32-wasi", "-fPIC", "-mno-extended-const", "-fvisibility=hidden",
                # zig turns UBSan on for unoptimised compiles (meson's probes); its runtime is not in python.wasm
                "-fno-sanitize=undefined"]
# How every side module is linked (build_extension.py imports this too): undefined symbols become
# imports the host's linker resolves against python.wasm's exports (and earlier modules).
SIDE_MODULE_LINK_FLAGS = ["--experimental-pic", "-shared", "--unresolved-symbols=import-dynamic", "--strip-all"]
# C++: CPython's WASI pthread_stubs.h uses the C99 `restrict` keyword.
CXX_FLAGS = ["-Drestrict=__restrict"]


def expand_rsp(args: list[str]) -> list[str]:
    out = []
    for a in args:
        if a.startswith("@") and os.path.isfile(a[1:]):
            with open(a[1:]) as f:
                out += shlex.split(f.read())
        else:
            out.append(a)
    return out


def side_module_link(zig: str, args: list[str]) -> int:
    inputs, out, i = [], None, 0
    while i < len(args):
        a = args[i]
        if a == "-o":
            out = args[i + 1]
            i += 2
            continue
        if not a.startswith("-") and a.endswith((".o", ".obj", ".a", ".lo")):
            inputs.append(a)
        i += 1
    if out is None:
        print("wasm_toolchain: -shared link without -o", file=sys.stderr)
        return 2
    cmd = [zig, "wasm-ld", *SIDE_MODULE_LINK_FLAGS, *inputs, "-o", out]
    return subprocess.call(cmd)


def pkg_config(args: list[str], include: str | None, version: str | None) -> int:
    if args == ["--version"]:
        print("1.8.1")
        return 0
    names = [a for a in args if not a.startswith("-")]
    known = {"python3", f"python-{version}", f"python{version}"} if include and version else set()
    if not names or any(n not in known for n in names):
        return 1
    for a in args:
        if a == "--modversion":
            print(version)
        elif a == "--cflags":
            print(f"-I{include}")
        elif a in ("--libs", "--static") or a.startswith("--variable") or a.startswith("--define-variable"):
            print("")
        elif a.startswith("-") and a not in ("--print-errors", "--short-errors", "--silence-errors"):
            return 1
    return 0


def main(argv: list[str]) -> int:
    zig, cython_dir, maps, py_include, py_version = None, None, [], None, None
    while argv and argv[0].startswith("--"):
        opt, val, argv = argv[0], argv[1], argv[2:]
        if opt == "--zig":
            zig = val
        elif opt == "--cython-dir":
            cython_dir = val
        elif opt == "--prefix-map":
            maps.append(val)
        elif opt == "--python-include":
            py_include = val
        elif opt == "--python-version":
            py_version = val
        else:
            print(f"wasm_toolchain: unknown option {opt}", file=sys.stderr)
            return 2
    mode, args = argv[0], expand_rsp(argv[1:])
    if mode == "cython":
        env = {**os.environ, "PYTHONPATH": cython_dir + os.pathsep + os.environ.get("PYTHONPATH", "")}
        return subprocess.call([sys.executable, "-m", "cython", *args], env=env)
    if mode == "pkg-config":
        return pkg_config(args, py_include, py_version)
    if mode in ("ar", "ranlib"):
        return subprocess.call([zig, mode, *args])
    if mode not in ("cc", "c++"):
        print(f"wasm_toolchain: unknown mode {mode}", file=sys.stderr)
        return 2
    if "-shared" in args and "-c" not in args and "-E" not in args:
        return side_module_link(zig, args)
    flags = TARGET_FLAGS + (CXX_FLAGS if mode == "c++" else []) + [f"-ffile-prefix-map={m}" for m in maps]
    return subprocess.call([zig, mode, *flags, *args])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
