"""`env` as Cloudflare's Python Workers see it: bindings whose methods are awaited.

`await env.CACHE.get("k")`, `await env.DB.prepare(sql).bind(x).all()`,
`await env.BUCKET.get("k")` with Cloudflare's method names, option names
(camelCase keyword arguments, as Pyodide passes them to JavaScript) and
result shapes (objects read by attribute: `result.results`, `row.name`,
`listing.keys`). Each adapter awaits the same host operation pymode's synchronous binding
performs (pymode._abi.aperform): on the isolate's serving loop other
requests run while the host works.
Bindings this module does not know (kinds added later) get every method as a
coroutine function returning the same values.
"""

import functools
import inspect

from pymode import env as _env
from pymode._abi import aperform
from pymode.workers import parse_json

from ._http import Blob
from ._objects import JsBuffer, JsObject, js_value

__all__ = ["CloudflareEnv"]

_KV_TYPES = {"text": "text", "json": "json", "arrayBuffer": "bytes", "bytes": "bytes", "stream": "bytes"}


def _options(options, kwargs):
    """JavaScript's trailing options object, given as a dict or as keyword arguments."""
    merged = dict(options) if isinstance(options, dict) else {}
    merged.update(kwargs)
    return merged


class KVNamespace:
    """Cloudflare's KV API over pymode's `KVNamespace`."""

    def __init__(self, kv):
        self._kv = kv

    def _type(self, type_or_options, kwargs):
        if isinstance(type_or_options, str):
            kind = type_or_options
        else:
            kind = _options(type_or_options, kwargs).get("type", "text")
        if kind not in _KV_TYPES:
            raise TypeError(f"KV get type must be one of {', '.join(_KV_TYPES)}, got {kind!r}")
        return kind

    async def get(self, key, type_or_options=None, **kwargs):
        kind = self._type(type_or_options, kwargs)
        value = (await aperform(self._kv._get_with_metadata(key, _KV_TYPES[kind]))).value
        return JsBuffer(value) if isinstance(value, bytes) else value

    async def getWithMetadata(self, key, type_or_options=None, **kwargs):
        kind = self._type(type_or_options, kwargs)
        value, metadata = await aperform(self._kv._get_with_metadata(key, _KV_TYPES[kind]))
        return JsObject(value=JsBuffer(value) if isinstance(value, bytes) else value, metadata=js_value(metadata))

    get_with_metadata = getWithMetadata

    async def put(self, key, value, options=None, **kwargs):
        opts = _options(options, kwargs)
        if isinstance(value, Blob):
            value = value._data
        await aperform(self._kv._put(key, value, opts.get("expirationTtl", opts.get("expiration_ttl")),
                                     opts.get("expiration"), opts.get("metadata")))

    async def delete(self, key):
        await aperform(self._kv._delete(key))

    async def list(self, options=None, **kwargs):
        opts = _options(options, kwargs)
        listing = await aperform(self._kv._list(opts.get("prefix"), opts.get("limit"), opts.get("cursor")))
        result = JsObject(keys=js_value(listing.keys), list_complete=listing.list_complete)
        if listing.cursor:
            result["cursor"] = listing.cursor
        return result

    def __repr__(self):
        return f"<KVNamespace {self._kv.name}>"


class R2Object(JsObject):
    """An R2 object's metadata with Cloudflare's names; `get` results also read their body."""

    @classmethod
    def of(cls, obj):
        return cls(key=obj.key, size=obj.size, etag=obj.etag, httpEtag=obj.http_etag, uploaded=obj.uploaded,
                   httpMetadata=JsObject(obj.http_metadata), customMetadata=JsObject(obj.custom_metadata))


class R2ObjectBody(R2Object):
    """`await bucket.get(key)`: metadata plus `await obj.text()`, `.json()`, `.arrayBuffer()`, `.bytes()`."""

    @classmethod
    def of(cls, obj):
        body = super().of(obj)
        body._data = obj.body
        return body

    @property
    def body(self):
        return JsBuffer(self._data)

    async def text(self):
        return self._data.decode("utf-8", errors="replace")

    async def json(self):
        return parse_json(self._data, f"R2 object {self['key']!r}")

    async def arrayBuffer(self):
        return JsBuffer(self._data)

    async def bytes(self):
        return self._data

    async def blob(self):
        return Blob(self._data, self["httpMetadata"].get("contentType"))


class R2Bucket:
    """Cloudflare's R2 API over pymode's `R2Bucket`."""

    def __init__(self, bucket):
        self._bucket = bucket

    async def get(self, key, options=None, **kwargs):
        obj = await aperform(self._bucket._get(key))
        return None if obj is None else R2ObjectBody.of(obj)

    async def head(self, key):
        obj = await aperform(self._bucket._head(key))
        return None if obj is None else R2Object.of(obj)

    async def put(self, key, value, options=None, **kwargs):
        opts = _options(options, kwargs)
        if isinstance(value, Blob):
            value = value._data
        obj = await aperform(self._bucket._put(key, value, opts.get("httpMetadata", opts.get("http_metadata")),
                                               opts.get("customMetadata", opts.get("custom_metadata"))))
        return R2Object.of(obj)

    async def delete(self, keys):
        await aperform(self._bucket._delete(keys))

    async def list(self, options=None, **kwargs):
        opts = _options(options, kwargs)
        listing = await aperform(self._bucket._list(opts.get("prefix"), opts.get("limit"), opts.get("cursor"),
                                                    opts.get("delimiter")))
        result = JsObject(objects=[R2Object.of(o) for o in listing.objects], truncated=listing.truncated,
                          delimitedPrefixes=listing.delimited_prefixes)
        if listing.cursor:
            result["cursor"] = listing.cursor
        return result

    def __repr__(self):
        return f"<R2Bucket {self._bucket.name}>"


def _d1_result(result):
    return JsObject(results=js_value(result.results), success=result.success, meta=js_value(result.meta))


class D1PreparedStatement:
    """Cloudflare's D1 statement: `bind` is synchronous, the queries are awaited."""

    def __init__(self, statement):
        self._statement = statement

    def bind(self, *params):
        return D1PreparedStatement(self._statement.bind(*params))

    async def all(self):
        return _d1_result(await aperform(self._statement._query("all")))

    async def run(self):
        return _d1_result(await aperform(self._statement._query("run")))

    async def first(self, column=None):
        return js_value(await aperform(self._statement._first(column)))

    async def raw(self, options=None, **kwargs):
        rows = (await aperform(self._statement._query("raw"))).results
        if _options(options, kwargs).get("columnNames"):
            columns = list(await aperform(self._statement._first(None)) or {}) if rows else []
            return [columns, *rows]
        return rows

    def __repr__(self):
        return repr(self._statement)


class D1Database:
    """Cloudflare's D1 API over pymode's `D1Database`."""

    def __init__(self, db):
        self._db = db

    def prepare(self, sql):
        return D1PreparedStatement(self._db.prepare(sql))

    async def batch(self, statements):
        return [_d1_result(r) for r in await aperform(self._db._batch([s._statement for s in statements]))]

    async def exec(self, sql):
        result = await aperform(self._db._exec(sql))
        return JsObject(count=result.count, duration=result.duration)

    def __repr__(self):
        return f"<D1Database {self._db.name}>"


class AwaitableBinding:
    """A binding kind without its own adapter: each method becomes a coroutine function."""

    def __init__(self, binding):
        self._binding = binding

    def __getattr__(self, name):
        attr = getattr(self._binding, name)
        if not callable(attr):
            return attr

        @functools.wraps(attr)
        async def call(*args, **kwargs):
            result = attr(*args, **kwargs)
            if inspect.isawaitable(result):
                result = await result
            return js_value(result)

        return call

    def __repr__(self):
        return repr(self._binding)


_ADAPTERS = {_env.KVNamespace: KVNamespace, _env.R2Bucket: R2Bucket, _env.D1Database: D1Database}


class CloudflareEnv:
    """The `env` a Cloudflare-style handler receives: vars and secrets as str, bindings awaitable."""

    def __init__(self, env):
        object.__setattr__(self, "_env", env)
        object.__setattr__(self, "_adapted", {})

    def _adapt(self, name, value):
        if isinstance(value, str):
            return value
        if name not in self._adapted:
            adapter = _ADAPTERS.get(type(value), AwaitableBinding)
            self._adapted[name] = adapter(value)
        return self._adapted[name]

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return self._adapt(name, getattr(self._env, name))

    def __getitem__(self, name):
        return self._adapt(name, self._env[name])

    def __contains__(self, name):
        return name in self._env

    def get(self, name, default=None):
        return self[name] if name in self else default

    def __setattr__(self, name, value):
        raise AttributeError("env is read-only")

    def __dir__(self):
        return dir(self._env)

    def __repr__(self):
        return repr(self._env)

    def to_py(self):
        return self
