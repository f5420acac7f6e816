"""Stdlib modules the upload leaves out, imported from the Worker's static assets on first use (issue #13).

A bundle made with `--stdlib-assets` (worker/scripts/stdlib-assets.mjs, which holds the layout) keeps in its
python313.zip only what an interpreter imports before it serves. Every other stdlib module is listed in
/lib/pymode-stdlib/index and travels as a static asset, one per top-level name. `install()` puts a finder for
them in sys.meta_path ahead of the path finder, so the stdlib keeps its precedence over /lib/site and /app, as
when the zip held everything, and a path hook for the package directories in the zip they were in, so that
pkgutil.iter_modules lists them as it did. Importing one of them asks the host for its compiled code (binding-call kind
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

    def __init__(self, index):
        # The index as one string, "\n"-framed, searched per lookup: a dict of its ~450 entries would cost every
        # Wizer snapshot ~30 KB of gzip, and a lookup is a substring search of ~9 KB.
        self.index = "\n" + index.strip("\n") + "\n"

    def _entry(self, name):
        """`email` -> ("email/__init__.pyc", True), `json.decoder` -> ("json/decoder.pyc", False), or None."""
        path = name.replace(".", "/")
        for entry, package in ((f"{path}/__init__.pyc", True), (f"{path}.pyc", False)):
            if f"\n{entry}\n" in self.index:
                return entry, package
        return None

    def find_spec(self, name, path=None, target=None):
        found = self._entry(name)
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

    def names_in(self, directory):
        """(name, is_package) of the modules the index holds directly in `directory` ("" for the top level)."""
        start = "\n" + (directory + "/" if directory else "")
        found = {}
        pos = self.index.find(start)
        while pos != -1:
            end = self.index.find("\n", pos + 1)
            if end == -1:  # the index's closing newline
                break
            rest = self.index[pos + len(start):end]
            if rest.endswith(".pyc") and rest.count("/") == 0:
                found.setdefault(rest[:-4], False)
            elif rest.count("/") == 1 and rest.endswith("/__init__.pyc"):
                found[rest.split("/", 1)[0]] = True
            pos = self.index.find(start, end)
        return sorted((name, package) for name, package in found.items() if name != "__init__")

    def iter_modules(self, prefix=""):
        """pkgutil.iter_modules() asks each sys.meta_path finder: the top-level modules served from the assets."""
        for name, package in self.names_in(""):
            yield prefix + name, package

    def path_hook(self, path):
        """sys.path_hooks entry for a package directory inside the zip that the assets hold modules of (their
        __path__ names the zip, where they were): lists them beside the zip's own (pkgutil.iter_modules(pkg.__path__))
        and leaves finding them to this finder, ahead of the path finder."""
        if not path.startswith(ZIP + "/"):
            raise ImportError("not a stdlib package directory", path=path)
        directory = path[len(ZIP) + 1:].rstrip("/")
        if f"\n{directory}/" not in self.index:
            raise ImportError("no stdlib asset in this directory", path=path)
        import zipimport  # frozen

        try:
            in_zip = zipimport.zipimporter(path)
        except zipimport.ZipImportError:
            in_zip = None
        return StdlibAssetDirectory(self, directory, in_zip)

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


class StdlibAssetDirectory:
    """The path entry finder of a stdlib package directory some of whose modules are assets (e.g. `email`, or
    `encodings`, whose start modules stay in the zip): the zip's importer finds those, the asset finder (a meta path
    finder, consulted first) finds the rest, and pkgutil lists both."""

    def __init__(self, finder, directory, in_zip):
        self.finder = finder
        self.directory = directory
        self.in_zip = in_zip

    def find_spec(self, fullname, target=None):
        return self.in_zip.find_spec(fullname, target) if self.in_zip is not None else None

    def invalidate_caches(self):
        if self.in_zip is not None:
            self.in_zip.invalidate_caches()

    def iter_modules(self, prefix=""):
        import pkgutil

        names = dict(self.finder.names_in(self.directory))
        if self.in_zip is not None:
            for name, package in pkgutil.iter_importer_modules(self.in_zip, ""):
                names.setdefault(name, package)
        for name in sorted(names):
            yield prefix + name, names[name]


def install():
    """Put the finder ahead of the path finder when this interpreter's bundle keeps stdlib modules in assets."""
    try:
        with open(INDEX, encoding="utf-8") as f:
            index = f.read()
    except FileNotFoundError:
        return None
    if any(isinstance(f, StdlibAssetFinder) for f in sys.meta_path):
        return None
    finder = StdlibAssetFinder(index)
    position = next((i for i, f in enumerate(sys.meta_path) if f is _frozen_importlib_external.PathFinder),
                    len(sys.meta_path))
    sys.meta_path.insert(position, finder)
    sys.path_hooks.insert(0, finder.path_hook)
    # package directories inside the zip seen before the hook (json, encodings, ...) get its finder on next use
    for path in [p for p in sys.path_importer_cache if p.startswith(ZIP + "/")]:
        del sys.path_importer_cache[path]
    return finder
