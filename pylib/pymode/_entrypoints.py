"""Which handler an entry module defines, and how to call it.

Handlers are written three ways, and all run unmodified:

- pymode's own: `on_fetch(request, env)` with synchronous bodies and bindings
  (`request.json()`, `env.KV.get(k)`), also `on_fetch(request)` and
  `on_fetch(request, env, ctx)`; upstream PyMode's name `fetch` for the same.
- Cloudflare Python Workers, class-based: `class Default(WorkerEntrypoint)`
  with `async def fetch(self, request)`, reading `self.env` and `self.ctx`.
- Cloudflare Python Workers, module-level: `on_fetch(request, env[, ctx])` in a
  module that uses the `workers` (or `js`) module, or marked `@handler`.

Cloudflare-style handlers get the `workers` module's types: awaitable body
methods and bindings (`await request.json()`, `await env.KV.get(k)`). An entry
written for upstream PyMode (its `fetch` handler name, or upstream's imports
`from pymode.workers import Env` / `from pymode.env import KV, R2, D1, get_env`)
gets upstream's `env`, whose R2 `get` returns bytes (`uses_upstream_api`). The
style is decided once, when the entry is loaded. Queue consumers (`on_queue`,
`Default.queue`) and cron handlers (`on_scheduled`, `Default.scheduled`) are
found the same way (`find_queue`, `find_scheduled`).
"""

import collections.abc
import sys
import types

from . import _abi

__all__ = ["Context", "Entrypoint", "find", "find_queue", "find_scheduled", "isawaitable", "uses_upstream_api"]

# code flags (CPython's Include/cpython/code.h, also in the inspect module)
CO_VARARGS = 0x04
CO_COROUTINE = 0x80
CO_ITERABLE_COROUTINE = 0x100

LOG_WARNING = 30
CLOUDFLARE_MODULES = ("workers", "js")
# set by workers.handler on a function written for Cloudflare's API
CLOUDFLARE_MARK = "__pymode_cloudflare_handler__"


# inspect is not imported at start: it loads ast, dis, tokenize and a dozen more modules, which every interpreter
# would then pay for at start and every snapshot carry. Plain functions are read from their code object; anything
# else (partials, wrapped or marked functions, callable objects) goes to inspect, imported then.


def isawaitable(obj):
    """inspect.isawaitable's rule."""
    return (isinstance(obj, (types.CoroutineType, collections.abc.Awaitable))
            or (isinstance(obj, types.GeneratorType) and bool(obj.gi_code.co_flags & CO_ITERABLE_COROUTINE)))


def completed(value):
    """`value`, or what it gives when awaited on pymode's event loop if it is awaitable (a coroutine handler's
    result): asyncio is imported only then."""
    if not isawaitable(value):
        return value
    from . import _aio

    return _aio.run(value)


def _plain_function(function):
    """`function` (or a bound method's function) when its code object tells the whole story, else None."""
    function = getattr(function, "__func__", function)
    if type(function) is not types.FunctionType:
        return None
    if any(hasattr(function, a) for a in ("__wrapped__", "__signature__", "_is_coroutine_marker")):
        return None
    return function


class NoEntrypoint(LookupError):
    """The module defines a handler this runtime cannot call."""


class Context:
    """`ctx` of a request: `wait_until(awaitable)` work finishes before the request ends.

    On Cloudflare the response is sent first and the work continues after it;
    here the runtime answers once the awaitables are done (the host has one
    request in flight per interpreter), so keep such work short.
    """

    def __init__(self):
        self._pending = []
        self.props = {}

    def wait_until(self, awaitable):
        if not isawaitable(awaitable):
            raise TypeError(f"wait_until takes an awaitable, not {type(awaitable).__name__}")
        self._pending.append(awaitable)

    waitUntil = wait_until

    def pass_through_on_exception(self):
        """Accepted for compatibility: there is no origin behind a PyMode worker to fall back to."""

    passThroughOnException = pass_through_on_exception

    async def finish(self):
        """Run what `wait_until` collected (also what it collects meanwhile); failures are logged, not raised."""
        while self._pending:
            awaitable = self._pending.pop(0)
            try:
                await awaitable
            except Exception as exc:  # the response is decided; a failed side job must not change it
                _abi.log(LOG_WARNING, f"pymode: a ctx.wait_until task failed: {type(exc).__name__}: {exc}")


class Entrypoint:
    """A loaded handler: `serve(event, env)` returns its result (maybe an awaitable). The event is the request
    of a fetch handler or the batch of a queue consumer; `for_cloudflare` turns it into what Cloudflare's API
    hands over (a `workers.Request`; a batch as it is)."""

    def __init__(self, describe, call, cloudflare, for_cloudflare=None, function=None):
        self.describe = describe
        self._call = call
        self.cloudflare = cloudflare
        self._for_cloudflare = for_cloudflare or (lambda event: event)
        self.function = function
        # A coroutine handler: requests may share the interpreter, interleaved where they await (pymode._serve).
        self.concurrent = False

    def serve(self, event, env):
        if not self.cloudflare:
            return self._call(event, env, Context())
        return self._serve_cloudflare(event, env)

    async def _serve_cloudflare(self, event, env):
        import workers

        ctx = Context()
        result = self._call(self._for_cloudflare(event), workers.CloudflareEnv(env), ctx)
        if isawaitable(result):
            result = await result
        await ctx.finish()
        return result

    def __repr__(self):
        return f"<Entrypoint {self.describe}{' (Cloudflare API)' if self.cloudflare else ''}>"


EXPECTED = "on_fetch(request, env), fetch(request, env) or class Default(WorkerEntrypoint) with fetch(self, request)"


def _cloudflare_request(request):
    import workers

    return workers.Request(request)


def _entrypoint_class(module):
    """`Default`, when it is a Cloudflare WorkerEntrypoint class."""
    workers = sys.modules.get("workers")
    default = getattr(module, "Default", None)
    if workers is not None and isinstance(default, type) and issubclass(default, workers.WorkerEntrypoint):
        return default
    return None


def find(module):
    """The module's HTTP handler as an `Entrypoint`, or None when it defines none; NoEntrypoint when one is
    defined but cannot be called. An async one has the event loop loaded now, with the entry."""
    entrypoint = _find(module)
    if entrypoint is not None and (entrypoint.cloudflare or _is_async(entrypoint.function)):
        entrypoint.concurrent = True
        _load_event_loop()
    return entrypoint


def _is_async(function):
    if function is None:
        return False
    plain = _plain_function(function)
    if plain is not None:
        return bool(plain.__code__.co_flags & CO_COROUTINE)
    import inspect

    return inspect.iscoroutinefunction(function)


def _load_event_loop():
    # Importing asyncio is deep (dozens of nested imports): done at load (at start, or inside a snapshot) it does
    # not meet a request's stack, which on Node 20's Asyncify host is small enough to overflow.
    from . import _aio  # noqa: F401


def _find(module):
    default = _entrypoint_class(module)
    if default is not None:
        if not callable(getattr(default, "fetch", None)):
            if callable(getattr(default, "queue", None)) or callable(getattr(default, "scheduled", None)):
                return None  # a queue consumer or cron handler only
            raise NoEntrypoint(f"class Default({default.__mro__[1].__name__}) has no fetch(self, request) method")
        return Entrypoint("Default.fetch", lambda request, env, ctx: default(ctx, env).fetch(request), True,
                          _cloudflare_request)
    for name in ("on_fetch", "fetch"):
        function = getattr(module, name, None)
        if function is None:
            continue
        if name == "fetch" and getattr(function, "__module__", None) != module.__name__:
            continue  # `from workers import fetch`: the HTTP client, not a handler
        if not callable(function):
            raise NoEntrypoint(f"{name} is a {type(function).__name__}, not a function")
        return Entrypoint(name, _with_arity(function, name),
                          bool(getattr(function, CLOUDFLARE_MARK, False)) or _uses_cloudflare_api(module),
                          _cloudflare_request, function)
    return None


# Names only upstream PyMode's API has (pymode.env's static helpers; pymode.workers.Env is UpstreamEnv).
UPSTREAM_NAMES = ("KV", "R2", "D1", "get_env", "console_log", "UpstreamEnv")


def uses_upstream_api(module, entrypoint):
    """Whether the entry module is written for upstream PyMode: its handler is upstream's `fetch(request, env)`,
    or it imported one of the names only upstream's API has. A Cloudflare-style entry never is."""
    if entrypoint is None or entrypoint.cloudflare:
        return False
    if entrypoint.describe == "fetch":
        return True
    from . import env

    upstream = [getattr(env, name) for name in UPSTREAM_NAMES]
    return any(any(value is u for u in upstream) for value in vars(module).values())


def find_queue(module):
    """The module's queue consumer as an `Entrypoint` serving batches, or None: `on_queue(batch, env[, ctx])`,
    or Cloudflare's `Default(WorkerEntrypoint)` with `async def queue(self, batch)`."""
    function = getattr(module, "on_queue", None)
    if function is not None:
        if not callable(function):
            raise NoEntrypoint(f"on_queue is a {type(function).__name__}, not a function")
        return Entrypoint("on_queue", _with_arity(function, "on_queue"),
                          bool(getattr(function, CLOUDFLARE_MARK, False)) or _uses_cloudflare_api(module))
    default = _entrypoint_class(module)
    if default is not None and callable(getattr(default, "queue", None)):
        return Entrypoint("Default.queue", lambda batch, env, ctx: default(ctx, env).queue(batch), True)
    return None


def find_scheduled(module):
    """The module's cron handler as an `Entrypoint` serving scheduled events, or None: `on_scheduled(event,
    env[, ctx])`, or Cloudflare's `Default(WorkerEntrypoint)` with `async def scheduled(self, controller, env,
    ctx)` (Cloudflare passes env and ctx to this method although the instance has them too)."""
    function = getattr(module, "on_scheduled", None)
    if function is not None:
        if not callable(function):
            raise NoEntrypoint(f"on_scheduled is a {type(function).__name__}, not a function")
        return Entrypoint("on_scheduled", _with_arity(function, "on_scheduled"),
                          bool(getattr(function, CLOUDFLARE_MARK, False)) or _uses_cloudflare_api(module))
    default = _entrypoint_class(module)
    if default is not None and callable(getattr(default, "scheduled", None)):
        return Entrypoint("Default.scheduled",
                          lambda event, env, ctx: default(ctx, env).scheduled(event, env, ctx), True)
    return None


def _required_positional(function):
    """How many positional arguments `function` needs (3 when it takes *args), as inspect.signature counts them."""
    if type(function) is types.FunctionType and _plain_function(function) is not None:  # not a bound method: self
        code = function.__code__
        if code.co_flags & CO_VARARGS:
            return 3
        return code.co_argcount - len(function.__defaults__ or ())
    import inspect

    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):  # a builtin or C callable: give it the usual two
        return 2
    if any(p.kind == p.VAR_POSITIONAL for p in parameters):
        return 3
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty for p in parameters)


def _with_arity(function, name):
    """Call `function` with as many of (request, env, ctx) as it takes."""
    count = _required_positional(function)
    if not 1 <= count <= 3:
        raise NoEntrypoint(f"{name} must take one to three arguments (the request, batch or event, env, ctx); "
                           f"it takes {count}")
    return lambda request, env, ctx: function(*(request, env, ctx)[:count])


def _uses_cloudflare_api(module):
    """Whether the module imported Cloudflare's `workers` or `js` module (or names from them)."""
    for value in vars(module).values():
        if isinstance(value, types.ModuleType):
            origin = value.__name__
        else:
            try:
                origin = getattr(value, "__module__", None)
            except Exception:  # an object whose attributes misbehave says nothing about the API
                continue
        if isinstance(origin, str) and origin.split(".")[0] in CLOUDFLARE_MODULES:
            return True
    return False
