"""A pure-Python `_pymode`: the host for native Python (dev server, tests).

It implements every operation of docs/abi.md against local stores:
KV and R2 in SQLite (`kv.sqlite3`, `r2.sqlite3`), each D1 binding as a real
SQLite database (`d1/<NAME>.sqlite3`), HTTP through urllib and TCP through
real sockets. With `state_dir=None` every store lives in memory (tests).
The host kind `do_storage` is this process's Durable Object storage
(`do_storage.sqlite3`) and the kind `tasks` runs `pymode.parallel` tasks in
subprocesses (docs/abi.md §7). Queue producers keep what was sent in memory
(`host.queue_messages`; the dev server delivers it to the worker's own consumer,
pymode.dev.queues) and service bindings are
not supported here (NOT_SUPPORTED): they need a second Worker.
It is the reference for host semantics: the JavaScript hosts must answer the
same requests with the same results and statuses.

    from pymode import _native
    host = _native.install(".pymode/state")   # now `import _pymode` works
"""

import collections
import os
import sys
import threading
import time

from .. import _abi
from ..env import binding_type, host_bindings, parse_bindings
from ._common import Fail, open_sqlite
from .d1 import D1Store
from .durable import DurableStore
from .kv import KVStore
from .net import Sockets, fetch
from .queue import QueueSink
from .r2 import R2Store
from .tasks import run_tasks

ABI_VERSION = _abi.ABI_VERSION


class HostError(Exception):
    """Raised by `call` on a negative status: `HostError(status, payload)`."""

    def __init__(self, status, payload):
        super().__init__(status, payload)
        self.status = status
        self.payload = payload


class NativeHost:
    """The state behind `_pymode.call` / `_pymode.log`.

    `bindings` is a bindings description (as in PYMODE_BINDINGS); when None the
    environment variable is read on every call, so the host and `Env` agree.
    `clock` returns epoch seconds (tests pass a fake one to check expiry).
    """

    def __init__(self, state_dir=None, bindings=None, log_stream=sys.stderr, clock=time.time,
                 http_timeout=60.0, connect_timeout=30.0, task_timeout=None):
        self.state_dir = state_dir
        self._bindings = None if bindings is None else parse_bindings(bindings)
        self.log_stream = log_stream
        self.logs = collections.deque(maxlen=1000)  # recent (level, message) pairs
        self.http_timeout = http_timeout
        self.task_timeout = task_timeout
        # One lock serialises the SQLite stores; network calls run unlocked.
        self._lock = threading.RLock()
        if state_dir is not None:
            os.makedirs(state_dir, exist_ok=True)
        self._conns = [open_sqlite(self._path("kv.sqlite3")), open_sqlite(self._path("r2.sqlite3")),
                       open_sqlite(self._path("do_storage.sqlite3"))]
        self.kv = KVStore(self._conns[0], clock)
        self.r2 = R2Store(self._conns[1], clock)
        self.storage = DurableStore(self._conns[2], clock)
        self.d1 = D1Store(None if state_dir is None else os.path.join(state_dir, "d1"))
        self.sockets = Sockets(connect_timeout)
        self.queues = QueueSink(self.log)
        # The host side of each binding kind (docs/abi.md §2-3, §7): declared kinds get the binding
        # name checked against the declared bindings, host kinds take an empty one.
        self._kinds = {
            "kv": ("declared", self._store_op(self.kv)),
            "r2": ("declared", self._store_op(self.r2)),
            "d1": ("declared", self._store_op(self.d1)),
            "queue": ("declared", self.queues.op),
            "service": ("declared", self._no_services),
            "http": ("host", self._http),
            "tcp": ("host", lambda _b, op, args, blobs: self.sockets.op(op, args, blobs)),
            "do_storage": ("host", self._storage_op),
            "tasks": ("host", self._tasks),
        }

    @property
    def queue_messages(self):
        """Messages sent per queue binding: lists of {"contentType", "body" (bytes), "delaySeconds"?}."""
        return self.queues.sent

    def _path(self, name):
        return ":memory:" if self.state_dir is None else os.path.join(self.state_dir, name)

    def _check_binding(self, kind, binding):
        bindings = self._bindings
        if bindings is None:
            bindings = host_bindings()
        if binding_type(bindings, binding) != kind:
            declared = ", ".join(sorted(n for n in bindings if bindings[n]["type"] == kind)) or "none"
            raise Fail(_abi.STATUS_UNKNOWN_BINDING, "UNKNOWN_BINDING",
                       f"no {kind} binding named {binding!r} (declared {kind} bindings: {declared})")

    def _task_config(self):
        handler = sys.modules.get("pymode._handler")
        entry, root = handler.project() if handler is not None else (None, None)
        return {
            "state_dir": None if self.state_dir is None else os.path.abspath(self.state_dir),
            "bindings": self._bindings, "entry": entry, "root": root,
        }

    def _store_op(self, store):
        def op(binding, name, args, blobs):
            with self._lock:
                return store.op(binding, name, args, blobs)
        return op

    def _storage_op(self, _binding, op, args, blobs):
        with self._lock:
            return self.storage.op(op, args, blobs)

    def _http(self, _binding, op, args, blobs):
        if op != "fetch":
            raise Fail(_abi.STATUS_INVALID_ARGUMENT, "INVALID_ARGUMENT", f"http: unknown operation {op!r}")
        return fetch(args, blobs, self.http_timeout)

    def _tasks(self, _binding, op, args, blobs):
        if op != "run":
            raise Fail(_abi.STATUS_INVALID_ARGUMENT, "INVALID_ARGUMENT", f"tasks: unknown operation {op!r}")
        return run_tasks(args, blobs, self._task_config(), self.task_timeout)

    def _no_services(self, binding, _op, _args, _blobs):
        raise Fail(_abi.STATUS_NOT_SUPPORTED, "NOT_SUPPORTED",
                   f"service binding {binding!r}: the native host runs one worker only; "
                   "service bindings work on workerd and Cloudflare")

    def _dispatch(self, kind, binding, op, args, blobs):
        entry = self._kinds.get(kind)
        if entry is None:
            raise Fail(_abi.STATUS_NOT_SUPPORTED, "NOT_SUPPORTED", f"unknown binding kind {kind!r}")
        scope, handler = entry
        if scope == "declared":
            self._check_binding(kind, binding)
        elif binding:
            raise Fail(_abi.STATUS_INVALID_ARGUMENT, "INVALID_ARGUMENT", f"{kind}: takes no binding name, got {binding!r}")
        return handler(binding, op, args, blobs)

    def call(self, kind, binding, request):
        """`_pymode.call`: request frames in, result frames out, HostError on failure."""
        try:
            op, args, blobs = _abi.decode_request(request)
            if not isinstance(args, dict):
                raise Fail(_abi.STATUS_INVALID_ARGUMENT, "INVALID_ARGUMENT", "arguments must be a JSON object")
            meta, out = self._dispatch(kind, binding, op, args, blobs)
            return _abi.encode_result(meta, *out)
        except Fail as exc:
            raise HostError(exc.status, _abi.encode_error(exc.code, exc.message)) from None
        except _abi.FrameError as exc:
            raise HostError(_abi.STATUS_INVALID_ARGUMENT, _abi.encode_error("INVALID_ARGUMENT", str(exc))) from None
        except Exception as exc:  # a host bug must surface as a status, never escape raw
            message = f"{type(exc).__name__}: {exc}"
            raise HostError(_abi.STATUS_INTERNAL, _abi.encode_error("INTERNAL", message)) from None

    def log(self, level, message):
        self.logs.append((level, message))
        if self.log_stream is not None:
            name = _abi.LOG_LEVELS.get(level, str(level))
            self.log_stream.write(f"[{name}] {message}\n")
            self.log_stream.flush()

    def close(self):
        self.sockets.close_all()
        with self._lock:
            self.d1.close()
            for conn in self._conns:
                conn.close()


_host = None


def install(state_dir=None, **options):
    """Make this module `_pymode`, backed by a new `NativeHost`, and return the host.

    `state_dir=None` keeps everything in memory; otherwise state persists there.
    Options are passed to `NativeHost` (bindings, log_stream, clock, timeouts).
    """
    global _host
    if _host is not None:
        _host.close()
    _host = NativeHost(state_dir, **options)
    sys.modules["_pymode"] = sys.modules[__name__]
    return _host


def uninstall():
    """Undo `install`: close the host and remove `_pymode`."""
    global _host
    if _host is not None:
        _host.close()
        _host = None
    if sys.modules.get("_pymode") is sys.modules[__name__]:
        del sys.modules["_pymode"]


def _current():
    if _host is None:
        raise RuntimeError("pymode._native: no host installed; call pymode._native.install() first")
    return _host


def call(kind, binding, request):
    return _current().call(kind, binding, request)


def log(level, message):
    _current().log(level, message)
