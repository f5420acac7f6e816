"""WSGI apps (Flask, Django, ...) as Worker handlers, as Cloudflare's Python Workers run them.

    from workers import WorkerEntrypoint, wsgi

    class Default(WorkerEntrypoint):
        async def fetch(self, request):
            return await wsgi.fetch(app, request, self.env)

    Default = wsgi.entrypoint(app)                  # the same, shorter

The app runs synchronously, to its end, with the request body in
`environ["wsgi.input"]`; its response is collected whole. `environ["env"]` is
the worker's env. An app that raises before it started a response is a 500
(the traceback goes to the log); `exc_info` given to `start_response` after
the headers went out re-raises, as PEP 3333 says.
"""

import io
import sys
from urllib.parse import unquote, urlsplit

from ._http import Request, Response

__all__ = ["entrypoint", "fetch"]


async def fetch(app, request, env, ctx=None):
    """Serve `request` (a `workers.Request`, or the one a handler received) with the WSGI `app` -> `Response`."""
    request = request if isinstance(request, Request) else Request(request)
    started = []

    def start_response(status, headers, exc_info=None):
        if exc_info is not None and started:
            raise exc_info[1].with_traceback(exc_info[2])
        started[:] = [status, list(headers)]
        return lambda data: chunks.append(bytes(data))  # the legacy write() callable

    chunks = []
    result = app(_environ(request, env), start_response)
    try:
        for chunk in result:
            chunks.append(bytes(chunk))
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    if not started:
        raise RuntimeError("WSGI app returned without calling start_response")
    status, headers = started
    code, _, reason = status.partition(" ")
    return Response(b"".join(chunks), status=int(code), status_text=reason, headers=headers)


def entrypoint(app):
    """A `WorkerEntrypoint` class whose `fetch` serves `app`: `Default = wsgi.entrypoint(app)`."""
    from . import WorkerEntrypoint

    class Default(WorkerEntrypoint):
        async def fetch(self, request):
            return await fetch(app, request, self.env, self.ctx)

    return Default


def _environ(request, env):
    url = urlsplit(request.url)
    scheme = url.scheme or "https"
    body = request.body or b""
    environ = {
        "REQUEST_METHOD": str(request.method),
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote(url.path, encoding="latin-1") or "/",
        "QUERY_STRING": url.query,
        "SERVER_NAME": url.hostname or "localhost",
        "SERVER_PORT": str(url.port or (443 if scheme == "https" else 80)),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": request.headers.get("cf-connecting-ip") or "",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scheme,
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "env": env,
    }
    for name, value in request.headers.items():
        key = name.upper().replace("-", "_")
        if key == "CONTENT_TYPE":
            environ["CONTENT_TYPE"] = value
        elif key != "CONTENT_LENGTH":
            key = "HTTP_" + key
            environ[key] = f"{environ[key]},{value}" if key in environ else value
    return environ
