"""The JavaScript globals that early Cloudflare Python Workers imported (`from js import Response, fetch`).

    from js import Response

    async def on_fetch(request, env):
        return Response.new("Hello World!", headers={"content-type": "text/plain"})

On Cloudflare (Pyodide) `js` is a proxy of the JavaScript global scope. Here
the globals such handlers use are Python objects with the same call shapes
(`Class.new(...)`, options as keyword arguments), backed by the `workers`
module; anything else raises an ImportError that names what is offered.
"""

import json
import time

from pymode import _abi

import workers as _workers
from workers._objects import js_value

__all__ = ["JSON", "Date", "FormData", "Headers", "Object", "Request", "Response", "console", "fetch"]

_LOG_LEVELS = {"debug": 10, "log": 20, "info": 20, "warn": 30, "error": 40}


class _Constructor:
    """A JavaScript class as Pyodide shows it: `Class.new(...)` constructs, static methods stay callable."""

    def __init__(self, cls, factory=None, **statics):
        self._cls = cls
        self._factory = factory or cls
        self._statics = statics

    def new(self, *args, **kwargs):
        return self._factory(*args, **kwargs)

    def __getattr__(self, name):
        try:
            return self._statics[name]
        except KeyError:
            raise AttributeError(f"{self._cls.__name__} has no static {name!r}") from None

    def __instancecheck__(self, instance):
        return isinstance(instance, self._cls)


def _response(body=None, options=None, **kwargs):
    """`Response.new(body, {status, statusText, headers})`, or with the options as keyword arguments."""
    opts = dict(options or {}, **kwargs)
    return _workers.Response(body, status=opts.get("status"), status_text=opts.get("statusText", ""),
                             headers=opts.get("headers"))


def _response_json(data, options=None, **kwargs):
    opts = dict(options or {}, **kwargs)
    return _workers.Response.from_json(data, status=opts.get("status", 200), headers=opts.get("headers"))


Response = _Constructor(_workers.Response, _response, json=_response_json, redirect=_workers.Response.redirect)
Request = _Constructor(_workers.Request)
Headers = _Constructor(_workers.Headers)
FormData = _Constructor(_workers.FormData)


async def fetch(resource, options=None, **kwargs):
    """`await fetch(url, {method, headers, body})` (or keyword options) -> a `workers.Response`."""
    return await _workers.fetch(resource, **dict(options or {}, **kwargs))


class _Console:
    """`console.log(...)` and friends: the arguments joined by spaces, to the Worker's log."""

    def __getattr__(self, name):
        if name not in _LOG_LEVELS:
            raise AttributeError(f"console has no method {name!r}")
        level = _LOG_LEVELS[name]
        return lambda *args: _abi.log(level, " ".join(a if isinstance(a, str) else _show(a) for a in args))


def _show(value):
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)


console = _Console()


def _replaced(key, value, replacer):
    """JavaScript's walk for a replacer function: the member's value is replaced first, then its own members."""
    value = replacer(key, value)
    if isinstance(value, dict):
        return {k: _replaced(str(k), v, replacer) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_replaced(str(i), v, replacer) for i, v in enumerate(value)]
    return value


def _kept(value, names):
    """JavaScript's walk for a replacer list: objects keep only these properties, in the list's order."""
    if isinstance(value, dict):
        return {name: _kept(value[name], names) for name in names if name in value}
    if isinstance(value, (list, tuple)):
        return [_kept(v, names) for v in value]
    return value


class JSON:
    @staticmethod
    def stringify(value, replacer=None, space=None):
        """JSON text as JavaScript's JSON.stringify writes it. `replacer` is a function called as
        `replacer(key, value)` for the root (key "") and every member below it, whose result is written instead
        (None is null: Python has no undefined to leave a member out), or a list of the property names objects
        keep. `space` indents by that many spaces (at most 10) or with that string (its first 10 characters)."""
        if callable(replacer):
            value = _replaced("", value, replacer)
        elif replacer is not None:
            names = list(dict.fromkeys(str(name) for name in replacer))
            value = _kept(value, names)
        if isinstance(space, (int, float)) and not isinstance(space, bool):
            space = min(int(space), 10) if space >= 1 else None
        elif isinstance(space, str):
            space = space[:10] or None
        else:
            space = None
        return json.dumps(value, indent=space, separators=None if space else (",", ":"))

    @staticmethod
    def parse(text):
        return js_value(json.loads(text))


class Object:
    @staticmethod
    def fromEntries(entries):
        return _workers.JsObject(entries.items() if isinstance(entries, dict) else entries)

    @staticmethod
    def keys(obj):
        return list(obj)

    @staticmethod
    def entries(obj):
        return [list(pair) for pair in obj.items()]


class Date:
    @staticmethod
    def now():
        return int(time.time() * 1000)


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise ImportError(f"the PyMode runtime offers only {', '.join(__all__)} from the js module, not {name!r}; "
                      "use the workers module or the standard library for the rest")
