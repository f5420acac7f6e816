"""ASGI apps (FastAPI, Starlette, ...) as Worker handlers, as Cloudflare's Python Workers run them.

    from workers import WorkerEntrypoint, asgi      # or `import asgi`

    class Default(WorkerEntrypoint):
        async def fetch(self, request):
            return await asgi.fetch(app, request, self.env)

    Default = asgi.entrypoint(app)                  # the same, shorter

The app gets the request whole and its response is collected whole (the
runtime hands whole bodies across the host boundary; nothing is streamed).
`scope["env"]` is the worker's env. Lifespan: the app's startup runs once per
interpreter, before its first request (a failed startup fails every request
with the app's message); shutdown never runs, the interpreter ends with its
isolate. An app that does not speak lifespan (it raises on that scope) is
served without it, as ASGI servers do.
"""

import asyncio
import weakref
from urllib.parse import unquote, urlsplit

from pymode import _aio

from ._http import Request, Response

__all__ = ["LifespanStartupFailed", "entrypoint", "fetch"]

ASGI = {"version": "3.0", "spec_version": "2.4"}


class LifespanStartupFailed(RuntimeError):
    """The app answered its lifespan startup with `lifespan.startup.failed`."""


async def fetch(app, request, env, ctx=None):
    """Serve `request` (a `workers.Request`, or the one a handler received) with the ASGI `app` -> `Response`."""
    request = request if isinstance(request, Request) else Request(request)
    state = await _lifespan(app).started()
    body = request.body or b""
    answered = asyncio.Event()
    delivered = False
    status, headers, chunks = None, [], []

    async def receive():
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await answered.wait()  # the client "disconnects" once the response is complete
        return {"type": "http.disconnect"}

    async def send(message):
        nonlocal status, headers
        if message["type"] == "http.response.start":
            status = message["status"]
            headers = [(_text(k), _text(v)) for k, v in message.get("headers") or ()]
        elif message["type"] == "http.response.body":
            if status is None:
                raise RuntimeError("ASGI app sent a response body before http.response.start")
            chunks.append(bytes(message.get("body", b"")))
            if not message.get("more_body", False):
                answered.set()

    try:
        await app(_scope(request, env, state), receive, send)
    finally:
        answered.set()
    if status is None:
        raise RuntimeError("ASGI app returned without sending http.response.start")
    return Response(b"".join(chunks), status=status, headers=headers)


def entrypoint(app):
    """A `WorkerEntrypoint` class whose `fetch` serves `app`: `Default = asgi.entrypoint(app)`."""
    from . import WorkerEntrypoint

    class Default(WorkerEntrypoint):
        async def fetch(self, request):
            return await fetch(app, request, self.env, self.ctx)

    return Default


def _text(value):
    return value.decode("latin-1") if isinstance(value, (bytes, bytearray)) else str(value)


def _scope(request, env, state):
    url = urlsplit(request.url)
    scheme = url.scheme or "https"
    client = request.headers.get("cf-connecting-ip")
    return {
        "type": "http",
        "asgi": ASGI,
        "http_version": "1.1",
        "method": str(request.method),
        "scheme": scheme,
        "path": unquote(url.path) or "/",
        "raw_path": (url.path or "/").encode("latin-1"),
        "query_string": url.query.encode("latin-1"),
        "root_path": "",
        "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in request.headers.items()],
        "client": (client, 0) if client else None,
        "server": (url.hostname or "localhost", url.port or (443 if scheme == "https" else 80)),
        "state": dict(state),
        "env": env,
    }


class _Lifespan:
    """The startup of one app, run once per interpreter; its task is left waiting for a shutdown that never comes."""

    def __init__(self, app):
        self._app = app
        self._outcome = None  # a future: the lifespan state, or the startup's failure
        self.state = {}

    async def started(self):
        if self._outcome is None:
            loop = asyncio.get_running_loop()
            self._outcome = loop.create_future()
            task = loop.create_task(self._run(loop))
            # A loop made for one request (asyncio.run) cancels what is left when it ends: not this task.
            _aio.outlive_loop(task)
        return await asyncio.shield(self._outcome) if not self._outcome.done() else self._outcome.result()

    async def _run(self, loop):
        sent_startup = False

        async def receive():
            nonlocal sent_startup
            if not sent_startup:
                sent_startup = True
                return {"type": "lifespan.startup"}
            await loop.create_future()  # shutdown: never

        async def send(message):
            if message["type"] == "lifespan.startup.complete" and not self._outcome.done():
                self._outcome.set_result(self.state)
            elif message["type"] == "lifespan.startup.failed" and not self._outcome.done():
                self._outcome.set_exception(LifespanStartupFailed(message.get("message") or "the app's startup failed"))

        try:
            await self._app({"type": "lifespan", "asgi": ASGI, "state": self.state}, receive, send)
        except Exception as exc:  # an app without lifespan support raises on the scope: serve it without
            if not self._outcome.done():
                if sent_startup:
                    self._outcome.set_exception(LifespanStartupFailed(f"{type(exc).__name__}: {exc}"))
                else:
                    self._outcome.set_result({})
        if not self._outcome.done():
            self._outcome.set_result(self.state)


_lifespans = weakref.WeakKeyDictionary()


def _lifespan(app):
    try:
        return _lifespans[app]
    except KeyError:
        return _lifespans.setdefault(app, _Lifespan(app))
    except TypeError:  # an app object that cannot be weakly referenced: keep it for the interpreter's life
        return _strong.setdefault(id(app), (app, _Lifespan(app)))[1]


_strong = {}
