"""On python.wasm, asyncio's event loop is pymode's MiniLoop from the first `import asyncio` on.

Kept apart from pymode._aio so that installing the hook does not import asyncio:
handlers that never use it do not pay for it.
"""

import importlib.abc
import importlib.util
import sys


class _InstallWhenImported(importlib.abc.MetaPathFinder):
    """Sets the policy right after user code first imports asyncio, so handlers that never
    use asyncio do not pay for importing it."""

    def find_spec(self, name, path=None, target=None):
        if name != "asyncio":
            return None
        sys.meta_path.remove(self)  # one shot: find the real spec with the finders behind this one
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            spec.loader = _PolicyLoader(spec.loader)
        return spec


class _PolicyLoader(importlib.abc.Loader):
    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def __getattr__(self, name):  # get_source, is_package, resource readers: the real loader's
        return getattr(self._loader, name)

    def exec_module(self, module):
        self._loader.exec_module(module)
        from . import _aio

        _aio.install_policy()


def install_on_wasi():
    """On python.wasm, asyncio's event loop is MiniLoop from the first `import asyncio` on."""
    if sys.platform != "wasi":
        return
    if "asyncio" in sys.modules:
        from . import _aio

        _aio.install_policy()
    elif not any(isinstance(f, _InstallWhenImported) for f in sys.meta_path):
        sys.meta_path.insert(0, _InstallWhenImported())
