"""`pymode dev`: the project's handler on native Python, over HTTP.

Each HTTP request becomes request frames and goes through
`pymode._handler.handle(frames)`, the function python.wasm calls on the edge,
with `pymode._native` as the host (KV, R2 and D1 persist under
`<project>/.pymode/state`). The handler state (module globals) is per process.

Concurrency is what a user sees on the edge (worker/README.md "Routing policy"):
- a coroutine handler (`async def on_fetch`, the `workers` module's `WorkerEntrypoint`)
  serves every request in flight at once, each an asyncio task of one event loop
  (pymode.dev.loop): while one awaits a binding call, `fetch` or `asyncio.sleep`, the
  others run, and they share module globals, as the requests of one interpreter do in
  the Worker isolate;
- a synchronous handler serves one request at a time. On the edge each request in flight
  gets an instance of its own, so a synchronous handler never sees another request in its
  module globals while it runs; one process has one interpreter, so here the requests
  queue instead (threads would let two requests run in the same globals at once, which
  never happens on the edge);
- queue batches and cron firings are served one at a time, as the PythonDO serves them on
  the edge (apart from the isolate's fetch requests, so beside a coroutine handler's tasks).
`GET /__scheduled?cron=...` fires
the entry's scheduled handler now, as `wrangler dev --test-scheduled` does.
Messages sent to a queue the worker consumes itself (worker.yaml
`spec.queueConsumers`) reach its `on_queue` in batches (pymode.dev.queues).
"""

import importlib.util
import json
import os
import socket
import sys
import threading
import time
import traceback
import urllib.parse
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import watchfiles

from .. import _abi, _handler, _native
from ..cli.deps import SITE_STAMP
from ..cli.errors import CliError
from ..cli.project import DEV_VARS_FILE, STATE_DIR, WORKER_FILE, Project, _SKIP_DIRS
from ..env import BINDINGS_ENV
from ..queues import QUEUE_PATH
from ..scheduled import SCHEDULED_PATH
from . import config
from .loop import DevLoop
from .queues import QueueDelivery

DEFAULT_PORT = 8787
DEFAULT_HOST = "127.0.0.1"
CORS_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "upgrade",
               "proxy-connection", "te", "trailer"}
_MAX_BODY = 100 * 1024 * 1024  # Cloudflare's request body limit on the free plan
# wrangler dev's route that fires a cron trigger locally (its --test-scheduled); the cron defaults to every minute
TEST_SCHEDULED_PATH = "/__scheduled"
# How often the watcher thread wakes without changes (to say it is ready, and to see close()).
_WATCH_READY_MS = 200


class DevServer:
    """Serve one project. `start()` binds and loads; `serve_forever()` blocks;
    `close()` stops everything. One DevServer per process at a time."""

    def __init__(self, root=".", *, host=DEFAULT_HOST, port=DEFAULT_PORT, entry=None, env=(), verbose=False,
                 reload=True, cors=True, state_dir=None, out=None, err=None):
        self.project = Project(root)
        self.root = self.project.root
        self.host = host
        self.port = port
        self.entry_override = entry
        self.env_values = config.parse_env_options(env)
        self.verbose = verbose
        self.reload_enabled = reload
        self.cors = cors
        self.state_dir = os.path.abspath(state_dir) if state_dir else self.project.state_dir("state")
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        # The serial path: a synchronous handler's requests, queue batches, cron firings and (re)loads.
        self.lock = threading.Lock()
        self.loop = None  # the DevLoop of a coroutine handler's requests (and of loads)
        self.load_error = None  # (message, traceback or None) when no handler is loaded
        self.bindings = {}
        self.entry = None
        self._httpd = None
        self._threads = []
        self._stop = threading.Event()
        self._saved_env = os.environ.get(BINDINGS_ENV)
        self._site = None
        self.host_state = None
        self.queues = QueueDelivery(self._deliver_queue_batch, self._say, self._warn)

    # --- lifecycle -----------------------------------------------------------------

    def start(self):
        self.project.require_entry(self.entry_override)  # no entry file: refuse to start
        self._configure(self.project)  # bad worker.yaml or .dev.vars: refuse to start
        try:
            server_class = _HTTPServer6 if ":" in self.host else ThreadingHTTPServer
            httpd = server_class((self.host, self.port), _RequestHandler, bind_and_activate=False)
            httpd.allow_reuse_address = True
            httpd.daemon_threads = True
            httpd.server_bind()
            httpd.server_activate()
        except OSError as exc:
            raise CliError(f"cannot listen on {self.host}:{self.port}: {exc.strerror or exc}"
                           + (" (another server is running there; pass --port)" if exc.errno in (48, 98) else ""))
        httpd.dev = self
        self._httpd = httpd
        self.port = httpd.server_address[1]
        self.host_state = _native.install(self.state_dir, log_stream=self.err)
        self.host_state.queues.consumer = self.queues.sent
        self.queues.start()
        self.loop = DevLoop().start()
        self.loop.call(self._load)
        self._print_banner()
        serve = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.2},
                                 name="pymode-dev-http", daemon=True)
        serve.start()
        self._threads.append(serve)
        if self.reload_enabled:
            ready = threading.Event()
            watch = threading.Thread(target=self._watch, args=(ready,), name="pymode-dev-watch", daemon=True)
            watch.start()
            self._threads.append(watch)
            ready.wait(timeout=10)  # a change saved from now on reloads
        return self

    @property
    def url(self):
        host = self.host if ":" not in self.host else f"[{self.host}]"
        return f"http://{host}:{self.port}"

    def serve_forever(self):
        try:
            while not self._stop.wait(3600):
                pass
        except KeyboardInterrupt:
            self._say("\npymode dev: stopped")
        finally:
            self.close()

    def close(self):
        self._stop.set()
        self.queues.close()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout=5)
        self._threads = []
        if self.loop is not None:
            self.loop.close()
            self.loop = None
        with self.lock:
            _handler._unload()
            _native.uninstall()
            if self._site and self._site in sys.path:
                sys.path.remove(self._site)
            if self._saved_env is None:
                os.environ.pop(BINDINGS_ENV, None)
            else:
                os.environ[BINDINGS_ENV] = self._saved_env

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()

    # --- configuration and loading ---------------------------------------------------

    def _configure(self, project):
        dev_vars = config.read_dev_vars(project.root)
        bindings, warnings = config.build_bindings(project, dev_vars, self.env_values)
        self.project = project
        self.bindings = bindings
        self.entry = project.entry(self.entry_override)
        self.queues.configure(project.spec)
        os.environ[BINDINGS_ENV] = config.bindings_json(bindings)
        for warning in warnings:
            self._warn(warning)
        self._update_site()

    def _update_site(self):
        """Put `<project>/.pymode/site` (from `pymode install`) on sys.path and say
        when it does not match the dependencies in pyproject.toml."""
        site = self.project.state_dir("site")
        if self._site and self._site != site and self._site in sys.path:
            sys.path.remove(self._site)
        self._site = site
        deps = self.project.dependencies()
        if os.path.isdir(site):
            if site not in sys.path:
                sys.path.insert(0, site)
            try:
                with open(os.path.join(site, SITE_STAMP), encoding="utf-8") as f:
                    installed = json.load(f)
            except (OSError, ValueError):
                installed = None
            if installed is not None and sorted(installed) != sorted(deps):
                self._warn("the dependencies in pyproject.toml changed since `pymode install`; run it again")
        elif deps:
            self._warn(f"pyproject.toml lists dependencies ({', '.join(deps)}) but they are not installed: "
                       f"run `pymode install`")

    def _load(self):
        """(Re)import the entry; on failure keep serving 500s that say why."""
        try:
            _handler.load(self.entry, root=self.root)
        except _handler.LoadError as exc:
            # _handler already logged the message and traceback to the terminal.
            cause = exc.__cause__
            trace = "".join(traceback.format_exception(cause)) if cause is not None else None
            self.load_error = (str(exc), trace)
            return False
        self.load_error = None
        return True

    def reload(self, changed=()):
        """Re-read the project and re-import the entry (the watcher calls this)."""
        for path in changed:
            if path.endswith(".py"):
                _drop_bytecode(path)
        with self.lock:
            # On the loop's thread, between two steps of a coroutine handler's tasks: none sees it half done.
            ok = self.loop.call(self._reload_now)
        if ok:
            self._say(f"pymode dev: reloaded {self.entry}")
        return ok

    def _reload_now(self):
        """The reload itself (on the loop's thread, under the lock) -> True when the entry loaded."""
        try:
            self._configure(Project(self.root))
        except CliError as exc:
            _handler._unload()
            self.load_error = (str(exc), None)
            self._warn(f"{exc}")
            return False
        if not os.path.isfile(os.path.join(self.root, self.entry)):
            _handler._unload()
            self.load_error = (f"entry file {self.entry} not found in {self.root}", None)
            self._warn(self.load_error[0])
            return False
        return self._load()

    # --- watching for changes ----------------------------------------------------------

    def _is_watched(self, _change, path):
        """The project's .py files (outside hidden, virtualenv and cache directories), its pyproject.toml,
        worker.yaml and .dev.vars, and the install stamp `pymode install` writes."""
        rel = os.path.relpath(path, self.root)
        if rel == os.path.join(STATE_DIR, "site", SITE_STAMP):
            return True
        *dirs, name = rel.split(os.sep)
        if not dirs:
            return name.endswith(".py") or name in ("pyproject.toml", WORKER_FILE, DEV_VARS_FILE)
        return name.endswith(".py") and not any(d.startswith(".") or d in _SKIP_DIRS for d in dirs)

    def _watch(self, ready):
        # yield_on_timeout: the first (empty) batch says the OS watch is in place, and start() waits for it.
        batches = watchfiles.watch(self.root, watch_filter=self._is_watched, stop_event=self._stop,
                                   rust_timeout=_WATCH_READY_MS, yield_on_timeout=True)
        for batch in batches:
            ready.set()
            if not batch:
                continue
            changed = sorted({path for _change, path in batch})
            names = ", ".join(os.path.relpath(p, self.root) for p in changed)
            self._say(f"pymode dev: {names} changed, reloading")
            try:
                self.reload(changed)
            except Exception:  # the watcher must survive anything a reload does
                self._warn("reload failed:\n" + traceback.format_exc())

    # --- output ------------------------------------------------------------------------

    def _say(self, message):
        print(message, file=self.out, flush=True)

    def _warn(self, message):
        print(f"pymode dev: warning: {message}", file=self.err, flush=True)

    def _print_banner(self):
        state = os.path.relpath(self.state_dir, self.root)
        self._say(f"pymode dev: {self.project.name} ({self.entry}) on Python {sys.version.split()[0]}")
        self._say(f"  bindings: {config.describe(self.bindings)}")
        self._say(f"  state:    {state if not state.startswith('..') else self.state_dir}")
        if self.load_error:
            self._say(f"  handler:  NOT LOADED ({self.load_error[0]}); fix it and save, the server reloads")
        self._say(f"pymode dev: listening on {self.url}" + ("" if self.reload_enabled else " (no reload)"))

    # --- serving ------------------------------------------------------------------------

    def serve(self, method, url, headers, body, serial=False):
        """One request through `_handler.handle` -> (status, header pairs, body). `serial`: one at a time
        whatever the handler (what the PythonDO serves on the edge)."""
        meta = {"method": method, "url": url, "headers": [[k, v] for k, v in headers]}
        frames = _abi.encode_frames(b"request", _abi.dump_json(meta), body)
        result = self._handle(frames, serial)
        load_error = self.load_error
        fields = _abi.decode_frames(result)
        info = json.loads(fields[0])
        status, pairs, out = info["status"], [tuple(h) for h in info["headers"]], fields[1]
        if status == 500 and load_error is not None:
            out = self._error_page(load_error)
            pairs = [("content-type", "text/plain; charset=utf-8"), ("x-pymode-dev-error", "load")]
        return status, pairs, out

    def _handle(self, frames, serial=False):
        """Request frames -> response frames: a coroutine handler's request as a task of the loop, any other
        (and any `serial` one) one at a time. (A request that meets a reload may take the other path: both
        serve any handler correctly, only without the overlap.)"""
        if not serial and _handler.concurrent():
            return self.loop.serve(frames)
        with self.lock:
            return _handler.handle(frames)

    def fire_scheduled(self, cron):
        """A cron firing now, delivered as the edge host delivers it -> (status, header pairs, body)."""
        body = json.dumps({"cron": cron, "scheduledTime": int(time.time() * 1000)}).encode()
        return self.serve("POST", "https://pymode.internal" + SCHEDULED_PATH,
                          [("content-type", "application/json")], body, serial=True)

    def _deliver_queue_batch(self, batch):
        """One queue batch through `_handler.handle`, as the edge host posts it -> (status, body)."""
        meta = {"method": "POST", "url": "https://pymode.internal" + QUEUE_PATH,
                "headers": [["content-type", "application/json"]]}
        result = self._handle(_abi.encode_frames(b"request", _abi.dump_json(meta), batch), serial=True)
        fields = _abi.decode_frames(result)
        return json.loads(fields[0])["status"], fields[1]

    def _error_page(self, load_error):
        message, trace = load_error
        text = (f"Internal Server Error\n\npymode dev: the handler is not loaded.\n{message}\n"
                + (f"\n{trace}" if trace else "")
                + "\nFix the project and save: the dev server reloads it.\n"
                "(On the edge the response is only 'Internal Server Error'; details go to the log.)\n")
        return text.encode("utf-8")


class _HTTPServer6(ThreadingHTTPServer):
    address_family = socket.AF_INET6


def _drop_bytecode(path):
    """Remove the cached .pyc of a changed source, so a same-second, same-size
    edit is not hidden by a stale cache entry."""
    try:
        os.remove(importlib.util.cache_from_source(path))
    except (OSError, ValueError, NotImplementedError):
        pass


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "pymode-dev"

    def log_message(self, format, *args):  # noqa: A002 - http.server's signature
        pass  # requests are logged by _log (with --verbose)

    def log_error(self, format, *args):  # noqa: A002
        self.server.dev.err.write(f"pymode dev: {self.address_string()}: {format % args}\n")

    def _read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            size = 0
            while True:
                line = self.rfile.readline(65537)
                length = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if length == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                size += length
                if size > _MAX_BODY:
                    raise ValueError("request body too large")
                chunks.append(self.rfile.read(length))
                self.rfile.readline(3)
        length = int(self.headers.get("Content-Length") or 0)
        if length > _MAX_BODY:
            raise ValueError("request body too large")
        return self.rfile.read(length) if length > 0 else b""

    def _handle(self):
        dev = self.server.dev
        started = time.perf_counter()
        try:
            body = self._read_body()
        except ValueError as exc:
            self._send(413 if "large" in str(exc) else 400, [("content-type", "text/plain")],
                       f"{exc}\n".encode())
            self.close_connection = True
            return
        origin = self.headers.get("Origin")
        if dev.cors and self.command == "OPTIONS" and origin and self.headers.get("Access-Control-Request-Method"):
            headers = self._cors_headers(origin) + [
                ("access-control-allow-methods", CORS_METHODS),
                ("access-control-allow-headers", self.headers.get("Access-Control-Request-Headers") or "*"),
                ("access-control-max-age", "86400"),
            ]
            self._send(204, headers, b"")
            self._log(started, 204, "(CORS preflight)")
            return
        host = self.headers.get("Host") or f"{dev.host}:{dev.port}"
        url = self.path if self.path.startswith(("http://", "https://")) else f"http://{host}{self.path}"
        headers = [(k.lower(), v) for k, v in self.headers.items()]
        path, _, query = self.path.partition("?")
        try:
            if path == TEST_SCHEDULED_PATH:
                cron = urllib.parse.parse_qs(query).get("cron", ["* * * * *"])[0]
                status, pairs, out = dev.fire_scheduled(cron)
            else:
                status, pairs, out = dev.serve(self.command, url, headers, body)
        except Exception:  # a dev-server bug, never the handler's (handle() never raises)
            trace = traceback.format_exc()
            dev.err.write(f"pymode dev: internal error serving {self.command} {self.path}\n{trace}")
            status, pairs, out = 500, [("content-type", "text/plain; charset=utf-8")], \
                f"Internal Server Error (pymode dev)\n\n{trace}".encode()
        if dev.cors and origin:
            present = {k.lower() for k, _ in pairs}
            if "access-control-allow-origin" not in present:
                pairs = pairs + self._cors_headers(origin)
        self._send(status, pairs, out)
        self._log(started, status)

    @staticmethod
    def _cors_headers(origin):
        return [("access-control-allow-origin", origin), ("access-control-allow-credentials", "true"),
                ("access-control-expose-headers", "*"), ("vary", "Origin")]

    def _send(self, status, pairs, body):
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = ""
        self.send_response_only(status, phrase)
        self.send_header("Date", self.date_time_string())
        for name, value in pairs:
            if name.lower() not in _HOP_BY_HOP:
                self.send_header(name, value)
        no_body = self.command == "HEAD" or status in (204, 304) or 100 <= status < 200
        if status not in (204, 304):
            self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if not no_body:
            self.wfile.write(body)

    def _log(self, started, status, note=""):
        dev = self.server.dev
        if dev.verbose:
            elapsed = (time.perf_counter() - started) * 1000
            dev.err.write(f"pymode dev: {self.command} {self.path} -> {status} in {elapsed:.1f} ms"
                          + (f" {note}" if note else "") + "\n")
            dev.err.flush()

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _handle


def run(root=".", **options):
    """Start a DevServer and serve until interrupted (the `pymode dev` command)."""
    server = DevServer(root, **options).start()
    server.serve_forever()
    return 0


__all__ = ["DevServer", "run", "DEFAULT_PORT", "DEFAULT_HOST"]
