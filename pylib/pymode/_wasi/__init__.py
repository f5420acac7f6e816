"""The standard library on python.wasm, made to behave as code written for CPython expects (issue #19).

`install()` runs once at interpreter start (pymode._handler). On WASI:

- `stdlib/` goes at the end of sys.path: modules CPython has but WASI cannot (`pwd`, `grp`, `resource`,
  `fcntl`, `termios`, `mmap`, `readline`, `syslog`, the C parts of `bz2` and `lzma`, and the packages the
  runtime leaves out: `ctypes`, `curses`, `sqlite3`, `multiprocessing`). They import, and using them raises an
  error that names the edge limitation, instead of `ModuleNotFoundError` at import. Real modules always win.
- Modules that exist but fall short are completed right after their first import (patches.py), so code
  that never imports them pays nothing: asyncio's event loop, socket's missing helpers, threading, and
  anyio's thread pool (run inline).

Natively (the dev server) only anyio's thread pool is completed: handlers run on pymode's event loop there too,
and threads cannot wake it, so calls anyio would hand to a worker thread run inline on that loop.
"""

import errno
import os
import sys

STDLIB_DIR = os.path.join(os.path.dirname(__file__), "stdlib")


def install():
    from . import patches

    if sys.platform != "wasi":
        patches.install(["anyio._backends._asyncio"])
        return
    if STDLIB_DIR not in sys.path:
        sys.path.append(STDLIB_DIR)
    patches.install()


def unavailable(what, reason):
    """The error a stand-in module raises on use: ENOSYS, naming the call and why the edge cannot do it."""
    return OSError(errno.ENOSYS, f"{what} is not available on python.wasm at the edge: {reason}")


def unavailable_attributes(module_name, reason):
    """A module `__getattr__` for the stand-ins of whole packages: any name it lacks raises `unavailable`."""

    def __getattr__(name):
        if name.startswith("__"):
            raise AttributeError(name)
        raise unavailable(f"{module_name}.{name}", reason)

    return __getattr__
