"""Cloudflare's Python Workers API on the PyMode runtime, so code written for it runs unmodified.

    from workers import WorkerEntrypoint, Response, fetch

    class Default(WorkerEntrypoint):
        async def fetch(self, request):
            name = (await request.json())["name"]
            await self.env.CACHE.put("last", name)
            upstream = await fetch("https://example.com/")
            return Response.json({"hello": name, "upstream": upstream.status})

Module-level handlers work too (`async def on_fetch(request, env, ctx)`, with
or without `@handler`). Bodies and bindings are awaited as on Cloudflare;
underneath they are pymode's synchronous host calls, which suspend the
interpreter (JSPI or Asyncify). Coroutines run on an asyncio event loop
(`asyncio.gather`, `asyncio.sleep`, timeouts). What differs from Cloudflare:
docs/compatibility.md.
"""

import functools

from pymode._entrypoints import CLOUDFLARE_MARK, Context

from ._bindings import CloudflareEnv, D1Database, KVNamespace, R2Bucket
from ._http import Blob, File, FormData, Headers, Request, Response, fetch
from ._objects import JsBuffer, JsObject

__all__ = [
    "Blob", "CloudflareEnv", "Context", "D1Database", "DurableObject", "File", "FormData", "Headers", "JsBuffer",
    "JsObject", "KVNamespace", "R2Bucket", "Request", "Response", "WorkerEntrypoint", "asgi", "fetch", "handler", "wsgi",
]


class WorkerEntrypoint:
    """Base class of a Worker's entrypoint: `class Default(WorkerEntrypoint)` with `async def fetch(self, request)`.

    An instance is made per request with the request's `ctx` and the worker's `env`.
    """

    def __init__(self, ctx, env):
        self.ctx = ctx
        self.env = env


class DurableObject:
    """Base class of a Durable Object in Cloudflare's API.

    PyMode runs handlers in its own Durable Objects; user-defined Durable Object
    classes are not exported to Cloudflare yet, so defining one is allowed but it
    is not reachable through a binding.
    """

    def __init__(self, ctx, env):
        self.ctx = ctx
        self.env = env


def handler(function):
    """Marks a module-level handler (`on_fetch`) as written for Cloudflare's API: it gets this module's
    `Request` and an `env` whose bindings are awaited."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        return function(*args, **kwargs)

    setattr(wrapper, CLOUDFLARE_MARK, True)
    return wrapper
