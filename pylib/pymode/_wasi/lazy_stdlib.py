"""Stdlib modules the upload leaves out, imported from the Worker's static assets on first use (issue #13).

A bundle made with `--stdlib-assets` (worker/scripts/stdlib-assets.mjs, which holds the layout) keeps in its
python313.zip only what an interpreter imports before it serves. Every other stdlib module is listed in
/lib/pymode-stdlib/index and travels as a static asset, one per top-level name. `install()` puts a finder for
them in sys.meta_path ahead of the path finder, so the stdlib keeps its precedence over /lib/site and /app, as
when the zip held everything. Importing one of them asks the host for its compiled code (binding-call kind
`stdlib`, docs/abi.md §2): the wasm stack suspends while the host fetches the group once per isolate. While a
Wizer snapshot is made there is no host; the group files are then beside the index (snapshot.sh).

This module runs before the rest of the stdlib can be imported: it uses only built-in and frozen modules.
"""

import marshal
import sys

import _frozen_importlib
import _frozen_importlib_external

INDEX = "/lib/pymode-stdlib/index"
KIND = "stdlib"
# what the modules' __file__ says: where they were before they left the upload
ZIP = "/lib/python313.zip"
_HEADER = 16  # a .pyc's magic number, flags and source stamp


def _module_of(entry):
    """`json/__init__.pyc` -> ("json", True); `json/decoder.pyc` -> ("json.decoder", False)."""
    name = entry[: -len(".pyc")]
    package = name.endswith("/__init__")
    if package:
        name = name[: -len("/__init__")]
    return name.replace("/", "."), package


def _local_entry(group, entry):
    """The entry from the group file beside the index (only while a snapshot is made), or None."""
    try:
        with open(f"/lib/pymode-stdlib/{group}.bin", "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return None
    view = memoryview(data)
    wanted = entry.encode("utf-8")
    pos = 0
    while pos < len(view):  # frames: name, bytes, name, bytes, ... (each `u32 LE length` + bytes)
        name_len = int.from_bytes(view[pos : pos + 4], "little")
        name = view[pos + 4 : pos + 4 + name_len]
        pos += 4 + name_len
        size = int.from_bytes(view[pos : pos + 4], "little")
        if name == wanted:
            return bytes(view[pos + 4 : pos + 4 + size])
        pos += 4 + size
    return None


class StdlibAssetLoader:
    def __init__(self, finder, entry):
        self.finder = finder
        self.entry = entry

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        code = self.finder.code(self.entry, module.__name__)
        exec(code, module.__dict__)


class StdlibAssetFinder:
    """Finds the stdlib modules the index lists; their code comes from the host (or, while a snapshot is made,
    from the group files beside the index)."""

    def __init__(self, entries):
        self.modules = {}
        for entry in entries:
            name, package = _module_of(entry)
            self.modules[name] = (entry, package)

    def find_spec(self, name, path=None, target=None):
        found = self.modules.get(name)
        if found is None:
            return None
        entry, package = found
        spec = _frozen_importlib.ModuleSpec(name, StdlibAssetLoader(self, entry), origin=f"{ZIP}/{entry}",
                                            is_package=package)
        spec.has_location = True
        if package:
            spec.submodule_search_locations = [f"{ZIP}/{entry.rsplit('/', 1)[0]}"]
        return spec

    def invalidate_caches(self):
        pass

    def code(self, entry, name):
        group = entry.split("/", 1)[0].removesuffix(".pyc")
        data = _local_entry(group, entry)
        if data is None:
            data = self._fetch(entry, name)
        if data[:4] != _frozen_importlib_external.MAGIC_NUMBER:
            raise ImportError(f"pymode: the stdlib asset {entry} is not compiled for this Python "
                              f"(magic {bytes(data[:4])!r}); the bundle and its assets come from different runtimes",
                              name=name)
        return marshal.loads(memoryview(data)[_HEADER:])

    def _fetch(self, entry, name):
        from .. import _abi

        try:
            _, blobs = _abi.call(KIND, entry, "get", {})
        except _abi.HostError as exc:
            raise ImportError(f"pymode: the stdlib module {name} is in the Worker's static assets, and reading "
                              f"it failed: {exc}", name=name) from None
        if not blobs:
            raise ImportError(f"pymode: the host answered no code for the stdlib module {name} ({entry})", name=name)
        return blobs[0]


def install():
    """Put the finder ahead of the path finder when this interpreter's bundle keeps stdlib modules in assets."""
    try:
        with open(INDEX, encoding="utf-8") as f:
            entries = [line for line in f.read().split("\n") if line.endswith(".pyc")]
    except FileNotFoundError:
        return None
    if any(isinstance(f, StdlibAssetFinder) for f in sys.meta_path):
        return None
    finder = StdlibAssetFinder(entries)
    position = next((i for i, f in enumerate(sys.meta_path) if f is _frozen_importlib_external.PathFinder),
                    len(sys.meta_path))
    sys.meta_path.insert(position, finder)
    return finder
