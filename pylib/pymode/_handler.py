"""The request path between the host and the user's `on_fetch` (docs/abi.md §5-6).

`load()` imports the entry module once (at `pymode_init`, or at Wizer
snapshot time); `handle(frames)` serves one request: frames -> `Request` ->
`on_fetch(request, env)` -> `Response` -> frames. Handler failures never
escape: they become a 500 whose body says only "Internal Server Error",
with the traceback sent to the host log.

Routes served before `on_fetch` (docs/abi.md §7): `POST /__pymode/queue`
delivers a queue batch to the entry's `on_queue(batch, env)` (pymode.queues), `POST
/__pymode/scheduled` a cron firing to its `on_scheduled(event, env)` (pymode.scheduled); in a task's
interpreter (PYMODE_ROLE=thread) `POST /__pymode/thread` runs a
`pymode.parallel` task, and once the project defines a `pymode.workflows`
workflow, `/workflow/run|status|resume|runs|info` (and the host's alarm,
`POST /__pymode/alarm`) go to the workflow engine.
"""

import codecs
import importlib
import os
import sys

from . import _abi, _entrypoints, _snapshot, _wasi
from .env import BINDINGS_ENV, Env
from .scheduled import SCHEDULED_PATH
from .workers import Headers, Request, Response

_wasi.install()

ENTRY_ENV = "PYMODE_ENTRY"
DEFAULT_ENTRY = "src/entry.py"
DEFAULT_ROOT = "/app"
# A request carrying this header (value 1 or true) only makes sure the entry
# is loaded and gets 204; the Worker must strip it from client requests.
WARMUP_HEADER = "x-pymode-warmup"
LOG_ERROR = 40
ROLE_ENV = "PYMODE_ROLE"
TASK_PATH = "/__pymode/thread"
QUEUE_PATH = "/__pymode/queue"
# The host's call that runs the serving loop (pymode._serve; worker/src/runtime/serving.ts).
SERVE_PATH = "/__pymode/serve"
SERVE = object()
WORKFLOW_PATHS = ("/workflow/run", "/workflow/status", "/workflow/resume", "/workflow/runs", "/workflow/info",
                  "/__pymode/alarm")


class LoadError(ImportError):
    """The entry module could not be imported, or defines no handler (`pymode._entrypoints`: fetch, queue or
    scheduled)."""


class _Loaded:
    """What the last `load()` did, so the next one can undo it."""

    def __init__(self):
        self.attempted = False
        self.entry = None
        self.handler = None
        self.queue_handler = None
        self.scheduled_handler = None
        self.upstream = False  # the entry is written for upstream PyMode: it gets upstream's env
        self.error = None
        self.loaded = False
        self.paths = []
        self.roots = []


_state = _Loaded()


# --- codecs whose C module the bundle left out ------------------------------------

# The worker's side-module linker (worker/src/runtime/dynlink.ts) says this when CPython dlopen()s one of the
# runtime's side modules that the bundler left out. (Their names are not spelled out here on purpose: the
# bundler ships a runtime side module when the sources it bundles, pymode's included, name it.)
LEFT_OUT_MARK = "left out of this bundle"


def _explain_left_out_codec(name):
    """A codec search function consulted after the stdlib's. The stdlib's swallows the ImportError of a codec
    module whose C module the bundle left out, and codecs.lookup would then only say
    "unknown encoding"; this one raises LookupError with the linker's message, which names the module and
    the `[tool.pymode]` option that adds it. Any other encoding: None (unknown, as before)."""
    from encodings import aliases, normalize_encoding

    norm = normalize_encoding(name)
    for modname in (aliases.aliases.get(norm), norm):
        if not modname:
            continue
        try:
            importlib.import_module("encodings." + modname)
        except ImportError as e:
            if LEFT_OUT_MARK in str(e):
                raise LookupError(f"unknown encoding: {name}: {e}") from None
    return None


codecs.register(_explain_left_out_codec)


# --- loading the entry module ----------------------------------------------------


def load(entry=None, root=None):
    """Import the entry module and return its HTTP handler (`pymode._entrypoints.Entrypoint`; None for a
    queue consumer without one).

    `entry` defaults to $PYMODE_ENTRY, else `src/entry.py`; a relative entry is
    resolved against `root` (default `/app`, the project root in python.wasm).
    Both the root and the entry's directory go on sys.path, so `from helpers
    import x` (a sibling) and `from src.utils import y` (from the root) work.
    Calling `load` again replaces the previous project (the dev server reloads
    this way). Raises `LoadError`, after logging it, when the entry is unusable.
    """
    entry = entry or os.environ.get(ENTRY_ENV) or DEFAULT_ENTRY
    root = os.path.abspath(root or DEFAULT_ROOT)
    path = os.path.normpath(entry if os.path.isabs(entry) else os.path.join(root, entry))
    _unload()
    _state.attempted = True
    _state.entry = entry
    try:
        with _snapshot.guard(entry):
            module = _import_entry(path, root)
            try:
                handler = _entrypoints.find(module)
                queue_handler = _entrypoints.find_queue(module)
                scheduled_handler = _entrypoints.find_scheduled(module)
            except _entrypoints.NoEntrypoint as exc:
                raise LoadError(f"entry {entry!r} (module {module.__name__}): {exc}") from None
        if handler is None and queue_handler is None and scheduled_handler is None:
            raise LoadError(f"entry {entry!r} (module {module.__name__}) defines no handler: {_entrypoints.EXPECTED} "
                            "(or on_queue(batch, env) for a queue consumer, on_scheduled(event, env) for cron "
                            "triggers)")
    except LoadError as exc:
        _fail_load(str(exc), None)
        raise
    except Exception as exc:  # ImportError, SyntaxError, anything the module raised
        message = f"cannot import entry {entry!r}: {type(exc).__name__}: {exc}"
        _fail_load(message, _format_exc())
        raise LoadError(message) from exc
    _state.handler = handler
    _state.queue_handler = queue_handler
    _state.scheduled_handler = scheduled_handler
    _state.upstream = _entrypoints.uses_upstream_api(module, handler)
    _state.loaded = True
    return handler


def _format_exc():
    # traceback (with textwrap, linecache, _colorize) loads on the first failure, not in every interpreter at start
    import traceback

    return traceback.format_exc()


def _fail_load(message, trace):
    _state.error = message
    _abi.log(LOG_ERROR, f"pymode: {message}" + (f"\n{trace}" if trace else ""))


def _forget_directory_listings():
    # What importlib.invalidate_caches() does for sys.path entries (a file written since a directory was listed
    # becomes importable), without its last step: that one imports importlib.metadata (email, zipfile, ...), which
    # would then load in every interpreter and fill every snapshot.
    for finder in list(sys.path_importer_cache.values()):
        if finder is not None and hasattr(finder, "invalidate_caches"):
            finder.invalidate_caches()


def _import_entry(path, root):
    if not os.path.isfile(path):
        raise LoadError(f"entry file {path} does not exist")
    entry_dir = os.path.dirname(path)
    for directory in (root, entry_dir):  # entry_dir ends up first: siblings win
        if directory not in sys.path:
            sys.path.insert(0, directory)
            _state.paths.append(directory)
    _state.roots = [root, entry_dir]
    _forget_directory_listings()
    name = _module_name(path, root)
    module = importlib.import_module(name)
    found = getattr(module, "__file__", None)
    if not found or os.path.realpath(found) != os.path.realpath(path):
        raise LoadError(f"module name {name!r} of entry {path} resolves to {found}; rename the entry or its package")
    return module


def _module_name(path, root):
    """`src/entry.py` under the root imports as `src.entry` (so relative imports
    work); an entry outside the root imports by its file name."""
    rel = os.path.relpath(path, root)
    parts = rel[: -len(".py")].split(os.sep) if rel.endswith(".py") else []
    if parts and not rel.startswith("..") and all(p.isidentifier() for p in parts):
        return ".".join(parts)
    return os.path.splitext(os.path.basename(path))[0]


def project():
    """(entry, root) of the loaded project, or (None, None); task hosts start
    their interpreters on the same project."""
    if not _state.attempted or not _state.roots:
        return None, None
    return _state.entry, _state.roots[0]


def _unload():
    """Forget the previous project: its sys.path entries and its modules
    (but never installed packages, which may live inside a project's .venv),
    and the workflows it defined."""
    workflows = sys.modules.get("pymode.workflows")
    if workflows is not None:
        workflows._clear_registry()
    for directory in _state.paths:
        while directory in sys.path:
            sys.path.remove(directory)
    installed = {os.path.abspath(p) + os.sep for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    roots = [os.path.abspath(r) + os.sep for r in _state.roots]
    for name, module in list(sys.modules.items()):
        if name == "pymode" or name.startswith("pymode."):
            continue
        files = [getattr(module, "__file__", None)] + list(getattr(module, "__path__", None) or [])
        for file in filter(None, files):
            file = os.path.abspath(file)
            if any(file.startswith(r) for r in roots) and not any(file.startswith(p) for p in installed):
                del sys.modules[name]
                break
    _state.__init__()


def concurrent():
    """True when the loaded HTTP handler is a coroutine handler, whose requests may share the interpreter
    (interleaved where they await: pymode._serve, the dev server's pymode.dev.loop)."""
    handler = _state.handler
    return handler is not None and handler.concurrent


def warmup():
    """Load the entry if that has not been tried yet; True when the entry is loaded."""
    if not _state.attempted:
        try:
            load()
        except LoadError:
            pass
    return _state.loaded


# --- serving a request ------------------------------------------------------------

_env_cache = (None, None)


def _env():
    # Built per process from the *runtime* environment, never at load time:
    # a Wizer snapshot must not capture secrets or one deployment's bindings.
    global _env_cache
    raw = os.environ.get(BINDINGS_ENV, "")
    if _env_cache[0] != raw:
        _env_cache = (raw, Env.from_host(raw))
    return _env_cache[1]._as_upstream() if _state.upstream else _env_cache[1]


def _decode_request(frames):
    fields = _abi.decode_frames(frames)
    if len(fields) < 2 or fields[0] != b"request":
        raise _abi.FrameError("request frames must start with 'request' and a JSON field")
    meta = _abi.load_json(fields[1], "request metadata")
    body = fields[2] if len(fields) > 2 else b""
    return Request(meta["method"], meta["url"], Headers(meta.get("headers") or []), body)


def encode_response(response):
    """Response frames: JSON {status, headers} and the body."""
    meta = {"status": response.status, "headers": response.headers.to_list()}
    return _abi.encode_frames(_abi.dump_json(meta), response.body)


class UnsupportedReturn(TypeError):
    """on_fetch returned something that is not a response; the message names only the type,
    so it is safe to show the client."""


def _normalise(result):
    if isinstance(result, Response):
        return result
    if isinstance(result, (str, bytes, bytearray, memoryview)):
        return Response(result)
    if isinstance(result, (dict, list)):
        return Response.json(result)
    raise UnsupportedReturn(f"on_fetch returned {type(result).__name__}; return a Response, str, bytes, dict or list")


def _internal_error(reason=None):
    # One line for the client; the traceback goes to the log only (it may hold secrets).
    return Response("Internal Server Error" + (f": {reason}" if reason else ""), status=500)


def _failure_reason(exc):
    """What a client may learn about an uncaught exception: the type, and the message only for
    our own safe-to-show errors (never the message of user code, which may hold secrets)."""
    if isinstance(exc, UnsupportedReturn):
        return str(exc)
    return f"uncaught {type(exc).__name__}"


def _workflow_route(request):
    """The workflow engine's answer, or None when the project defines no workflow."""
    workflows = sys.modules.get("pymode.workflows")
    if workflows is None or not workflows.registered():
        return Response(None, status=204) if request.path == "/__pymode/alarm" else None
    try:
        return workflows.handle_http(request, _env())
    except Exception:
        _abi.log(LOG_ERROR, f"pymode: workflow request {request.method} {request.url} failed\n{_format_exc()}")
        return Response.json({"error": "workflow engine failed; see the worker log"}, status=500)


def _queue_route(request):
    """A queue batch from the host -> on_queue -> 200 with the ack/retry decisions; 500 retries the batch."""
    if _state.queue_handler is None:
        _abi.log(LOG_ERROR, f"pymode: a queue batch arrived but entry {_state.entry!r} defines no on_queue(batch, env)")
        return Response.json({"error": "the entry defines no on_queue(batch, env)"}, status=500)
    from . import queues

    try:
        return Response.json(queues.run_consumer(_state.queue_handler.serve, request.body, _env()))
    except (Exception, SystemExit) as exc:
        _abi.log(LOG_ERROR, f"pymode: on_queue failed; the batch will be retried\n{_format_exc()}")
        return Response.json({"error": f"on_queue raised {type(exc).__name__}"}, status=500)


def _scheduled_route(request):
    """A cron firing from the host -> the scheduled handler -> 200 {"noRetry"}; 500 fails the invocation."""
    if _state.scheduled_handler is None:
        _abi.log(LOG_ERROR, f"pymode: a cron trigger fired but entry {_state.entry!r} defines no scheduled handler "
                            "(on_scheduled(event, env) or Default.scheduled(self, controller, env, ctx))")
        return Response.json({"error": "the entry defines no on_scheduled(event, env) or Default.scheduled"},
                             status=500)
    from . import scheduled

    try:
        return Response.json(scheduled.run_scheduled(_state.scheduled_handler.serve, request.body, _env()))
    except (Exception, SystemExit) as exc:
        _abi.log(LOG_ERROR, f"pymode: the scheduled handler failed\n{_format_exc()}")
        return Response.json({"error": f"{_state.scheduled_handler.describe} raised {type(exc).__name__}"},
                             status=500)


def handle(request_frames):
    """Serve one request: request frames in, response frames out. Never raises."""
    _snapshot.take_host_environ()
    routed = _route(request_frames)
    if isinstance(routed, Response):
        return encode_response(routed)
    if routed is SERVE:
        from . import _serve

        timer = _serve.serve(handle, concurrent())
        return encode_response(Response.json({"timer": timer}))
    request = routed
    try:
        response = _normalise(_entrypoints.completed(_state.handler.serve(request, _env())))
    except (Exception, SystemExit) as exc:
        response = _failed(request, exc)
    return encode_response(response)


def begin(request_frames):
    """`handle` up to the handler's call, for the serving loop (pymode._serve): the response frames when the
    request is answered without awaiting, else (request, result) with the handler's result, maybe awaitable,
    to pass to `finish` (or `failed`)."""
    routed = _route(request_frames)
    if isinstance(routed, Response):
        return encode_response(routed)
    if routed is SERVE:
        return encode_response(Response("the serving loop is already running", status=409))
    from . import _aio  # loaded already: the serving loop is one

    try:
        # A synchronous handler runs here to its end; it may call asyncio.run() as it can outside a loop.
        with _aio.outside_running_loop():
            return routed, _state.handler.serve(routed, _env())
    except (Exception, SystemExit) as exc:
        return failed(routed, exc)


def finish(request, result):
    """The response frames of the handler's (awaited) result."""
    try:
        return encode_response(_normalise(result))
    except (Exception, SystemExit) as exc:
        return failed(request, exc)


def failed(request, exc):
    """The response frames for a handler that raised `exc` (being handled): 500, traceback to the log."""
    return encode_response(_failed(request, exc))


def _failed(request, exc):
    _abi.log(LOG_ERROR, f"pymode: on_fetch failed for {request.method} {request.url}\n{_format_exc()}")
    return _internal_error(_failure_reason(exc))


def _route(request_frames):
    """What a request needs: a `Response` when it is answered without the handler, SERVE for the host's
    serving-loop call, else the decoded `Request` for the entry's handler."""
    try:
        request = _decode_request(request_frames)
    except Exception as exc:
        _abi.log(LOG_ERROR, f"pymode: malformed request frames: {type(exc).__name__}: {exc}")
        return _internal_error()
    ready = warmup()
    if request.path == SERVE_PATH and request.method == "POST":
        # the host's own call (clients cannot reach /__pymode/*): runs even when the entry failed to load,
        # so that each request is answered (500) instead of waiting
        return SERVE
    if request.path == TASK_PATH and os.environ.get(ROLE_ENV) == "thread":
        # A task may use any importable function, so it runs even without an on_fetch.
        from . import parallel

        status, content_type, body = parallel.run_task(request.body)
        return Response(body, status=status, headers={"content-type": content_type})
    if not ready:
        _abi.log(LOG_ERROR, f"pymode: {request.method} {request.url}: no handler: {_state.error}")
        return _internal_error()
    if request.headers.get(WARMUP_HEADER) in ("1", "true"):
        return Response(None, status=204)
    if request.path == QUEUE_PATH and request.method == "POST":
        return _queue_route(request)
    if request.path == SCHEDULED_PATH and request.method == "POST":
        return _scheduled_route(request)
    if request.path in WORKFLOW_PATHS:
        response = _workflow_route(request)
        if response is not None:
            return response
    if _state.handler is None:
        _abi.log(LOG_ERROR, f"pymode: {request.method} {request.url}: entry {_state.entry!r} defines no on_fetch "
                            "(only a queue or cron handler)")
        return Response("Not Found: this worker serves no HTTP requests", status=404)
    return request
