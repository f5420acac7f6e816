"""What an entry module may not do while a Wizer snapshot of it is made (builder-image/runtime/snapshot.sh).

A snapshot is the interpreter's memory after the entry module was imported. Two things cannot be part of it:
- a C extension: its side module is linked by the host at run time, outside the memory a snapshot captures;
- a host call (a binding, fetch, dlopen): Wizer has no host, and an answer would be frozen into every instance.

snapshot.sh runs the guest with PYMODE_SNAPSHOT=1. While the entry loads, either of these then raises
SnapshotImpossible, which says what the entry did. It derives from BaseException so that an entry's
`except Exception` around an optional import cannot turn it into a snapshot that behaves differently from the
worker it stands for; and it is remembered, so even a bare `except:` cannot. snapshot.sh then exits with
status 3, and the builder builds the bundle without a snapshot, unless the worker asked for one explicitly
(spec.wizer: true; builder-image/bundler/pymode_build.py).
"""

import os

ENV = "PYMODE_SNAPSHOT"
# the binding-call kind whose answer is the environment the host gave this instance (docs/abi.md §2)
ENVIRON_KIND = "environ"
# True in every instance restored from a snapshot: set while the snapshot is made, so it is in the memory image
restored_from_snapshot = False


def take_host_environ():
    """On an instance restored from a snapshot, once: os.environ (and the C environ under it) still hold the
    snapshot's variables, frozen when it was made; replace them with the ones the host gave this instance
    (PYMODE_BINDINGS, PYMODE_ROLE, ...). Elsewhere, nothing."""
    global restored_from_snapshot
    if not restored_from_snapshot:
        return
    restored_from_snapshot = False
    from . import _abi

    try:
        environ, _ = _abi.call(ENVIRON_KIND, "", "get", {})
    except _abi.HostError as exc:  # a host without the kind: the bindings will say they are missing
        _abi.log(40, f"pymode: this instance, restored from a snapshot, cannot learn its environment: {exc}")
        return
    os.environ.clear()
    os.environ.update(environ)


class SnapshotImpossible(BaseException):
    pass


class guard:
    """`with guard(entry):` refuses what a snapshot cannot hold while `entry` loads, when a snapshot is being made;
    otherwise it does nothing. (A class, not contextlib: one module fewer at every interpreter start.)"""

    def __init__(self, entry):
        self.entry = entry
        self.active = os.environ.get(ENV) == "1"
        self.refused = []

    def __enter__(self):
        if not self.active:
            return self
        del os.environ[ENV]  # the snapshot keeps os.environ: its instances must not think they are making one
        global restored_from_snapshot
        restored_from_snapshot = True
        from importlib.machinery import ExtensionFileLoader

        from . import _abi

        self._saved = (ExtensionFileLoader, ExtensionFileLoader.create_module, _abi, _abi.host)
        ExtensionFileLoader.create_module = self._no_extension
        _abi.host = self._no_host
        return self

    def __exit__(self, kind, value, traceback):
        if not self.active:
            return False
        loader, create_module, abi, host = self._saved
        loader.create_module, abi.host = create_module, host
        if kind is None and self.refused:  # the entry caught it: the snapshot would not be the worker
            raise SnapshotImpossible(self.refused[0])
        return False

    def _refuse(self, message):
        self.refused.append(message)
        raise SnapshotImpossible(message)

    def _no_extension(self, spec):
        self._refuse(f"entry {self.entry!r} imports the C extension {spec.name} ({spec.origin}) while it loads; side "
                     "modules are linked at run time, outside the memory a snapshot captures")

    def _no_host(self):
        self._refuse(f"entry {self.entry!r} calls the host (a binding, fetch or the serving loop) while it loads; a "
                     "snapshot is made without one")
