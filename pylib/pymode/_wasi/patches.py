"""Completes stdlib modules (and anyio's asyncio backend, which assumes threads) right after their first
import on python.wasm; natively only anyio's (see _anyio_asyncio).

A one-shot meta-path finder per module wraps the real loader; after the module
runs, its patch below adds what WASI lacks. A module imported before
`install()` is patched at once.
"""

import importlib.util
import sys


def _asyncio(module):
    # the selector loop cannot be created on WASI (no socketpair): asyncio.run() and new_event_loop() get MiniLoop
    aio = sys.modules.get("pymode._aio")
    if aio is not None and not hasattr(aio, "install_policy"):
        return  # pymode._aio's own `import asyncio` brought it in: _aio installs the policy once it is defined
    from .. import _aio

    _aio.install_policy()


def _socket(module):
    # constants and pure helpers CPython's socket has everywhere; the WASI build lacks them
    module.__dict__.setdefault("AF_UNIX", 1)
    module.__dict__.setdefault("SO_REUSEADDR", 2)
    module.__dict__.setdefault("SO_KEEPALIVE", 9)
    if not hasattr(module, "gethostname"):
        module.gethostname = lambda: "localhost"  # a Worker has no host name of its own
    if not hasattr(module, "inet_ntoa"):
        def inet_ntoa(packed):
            """32-bit packed IPv4 address -> dotted-quad string, as CPython's."""
            packed = bytes(packed)
            if len(packed) != 4:
                raise OSError("packed IP wrong length for inet_ntoa")
            return ".".join(str(b) for b in packed)

        module.inet_ntoa = inet_ntoa


def _threading(module):
    # WASI has no threads: a Thread's target runs to completion inside start(), so code that starts and
    # joins workers (or fires and forgets them) works; a target that waits for another thread blocks.
    thread = module.Thread
    if getattr(thread, "_pymode_synchronous", False):
        return

    def start(self):
        if not self._initialized:
            raise RuntimeError("thread.__init__() not called")
        if self._started.is_set():
            raise RuntimeError("threads can only be started once")
        self._started.set()
        try:
            self.run()
        except SystemExit:
            pass
        except BaseException:
            self._invoke_excepthook(self)

    def is_alive(self):
        return False  # it ran to completion in start()

    def join(self, timeout=None):
        if not self._started.is_set():
            raise RuntimeError("cannot join thread before it is started")

    thread.start = start
    thread.is_alive = is_alive
    thread.join = join
    thread._pymode_synchronous = True


def _anyio_asyncio(module):
    # anyio's worker threads take their calls from a queue; with Thread.start running the target inline (above)
    # the first worker waits on that queue forever, so anyio.to_thread.run_sync (starlette's run_in_threadpool:
    # FastAPI's sync endpoints and dependencies) would never return. Here the callable runs inline instead, as a
    # worker thread would run it: in a copy of the caller's context, with no event loop running and anyio's
    # async-library marker cleared, under the same capacity limiter. It cannot be abandoned on cancel (it has
    # already finished), and anyio.from_thread.* refuses as it does outside a worker thread.
    # Natively (pymode dev) there are threads, but pymode's loop is not woken by their results, so calls made on
    # it run inline there too; on any other loop anyio's own thread pool runs them.
    backend = module.AsyncIOBackend
    if getattr(backend, "_pymode_inline_threads", False):
        return

    import asyncio  # anyio imported both already; here, not at the top: every interpreter's start would load them
    import contextvars

    from .. import _aio

    in_threads = backend.run_sync_in_worker_thread

    async def run_sync_in_worker_thread(cls, func, args, abandon_on_cancel=False, limiter=None):
        if not isinstance(asyncio.get_running_loop(), _aio.MiniLoop):
            return await in_threads(func, args, abandon_on_cancel, limiter)
        await cls.checkpoint()
        async with limiter or cls.current_default_thread_limiter():
            context = contextvars.copy_context()
            context.run(module.set_current_async_library, None)
            loop = asyncio._get_running_loop()
            asyncio._set_running_loop(None)
            try:
                return context.run(func, *args)
            finally:
                asyncio._set_running_loop(loop)

    backend.run_sync_in_worker_thread = classmethod(run_sync_in_worker_thread)
    backend._pymode_inline_threads = True


PATCHES = {"asyncio": _asyncio, "socket": _socket, "threading": _threading,
           "anyio._backends._asyncio": _anyio_asyncio}


# Plain classes, not importlib.abc's: that module pulls in importlib.resources (tempfile, shutil, pathlib,
# zipfile, ...), which every interpreter would then load at start (and every snapshot carry) for nothing.
class _PatchWhenImported:
    def __init__(self, name):
        self.name = name

    def find_spec(self, name, path=None, target=None):
        if name != self.name:
            return None
        sys.meta_path.remove(self)  # one shot: the real spec comes from the finders behind this one
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            spec.loader = _PatchingLoader(spec.loader, PATCHES[name])
        return spec


class _PatchingLoader:
    def __init__(self, loader, patch):
        self._loader = loader
        self._patch = patch

    def __getattr__(self, name):  # get_source, is_package, resource readers: the real loader's
        return getattr(self._loader, name)

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        self._patch(module)


def install(names=None):
    """Patch the modules of PATCHES (or only `names`) now if imported, else when they are first imported."""
    pending = {f.name for f in sys.meta_path if isinstance(f, _PatchWhenImported)}
    for name, patch in PATCHES.items():
        if names is not None and name not in names:
            continue
        if name in sys.modules:
            patch(sys.modules[name])
        elif name not in pending:
            sys.meta_path.insert(0, _PatchWhenImported(name))
