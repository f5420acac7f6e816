"""`env`: the bindings a worker was deployed with (KV, R2, D1, queues, services, vars, secrets).

The host describes them in the environment variable PYMODE_BINDINGS as JSON:
`{"NAME": {"type": <kind>|"var"|"secret", "value"?: str}}`, where <kind> is a
key of `BINDING_KINDS` (the binding-kind registry: kind -> class). Vars and
secrets are plain strings on `env`; the other bindings are objects of their
kind's class, whose methods call the host through `pymode._abi.call`.

Upstream PyMode's API lives here too: the static helpers `KV`, `R2`, `D1`, `get_env` and
`console_log` (a key "NAME\0key" names the binding; without one they use the binding named `KV`,
`R2` or `D1`), and `UpstreamEnv` (`pymode.workers.Env`), whose R2 `get` returns the object's bytes and
D1 `batch` each statement's rows.
"""

import json
import os
from collections import namedtuple

from ._abi import D1Error, HostOp, KVError, R2Error, perform
from .workers import decode_text, parse_json, to_body

__all__ = [
    "Env", "KVNamespace", "R2Bucket", "R2Object", "D1Database", "D1PreparedStatement",
    "D1Result", "KVError", "R2Error", "D1Error", "parse_bindings", "host_bindings", "binding_type",
    "BINDING_KINDS", "Queue", "Service", "UpstreamEnv", "KV", "R2", "D1", "get_env", "console_log",
]

BINDINGS_ENV = "PYMODE_BINDINGS"


def host_bindings(raw=None):
    """The host's bindings description (PYMODE_BINDINGS: `raw`, or this process's), decoded.

    It is not checked again: the host that wrote it did (worker/src/runtime/config.ts bindingsDescription at the
    edge and in the Node host, `pymode.dev.config` for the dev server), against the same contract,
    schemas/worker-vars/bindings.schema.json. Descriptions from anywhere else go through `parse_bindings`."""
    if raw is None:
        raw = os.environ.get(BINDINGS_ENV)
    return json.loads(raw) if raw else {}


def parse_bindings(raw):
    """Validate a bindings description (JSON text or dict) -> dict NAME -> spec: one no host validated (given to
    `Env(...)` by code, a dev server's worker.yaml, a native host's `bindings`)."""
    if raw is None or raw == "":
        return {}
    if isinstance(raw, (str, bytes)):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise ValueError(f"{BINDINGS_ENV} is not valid JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise ValueError(f"bindings must be a JSON object of NAME -> {{type, value?}}, got {type(raw).__name__}")
    bindings = {}
    for name, spec in raw.items():
        if not name.isidentifier():
            raise ValueError(f"binding name {name!r} is not a valid identifier")
        if not isinstance(spec, dict) or spec.get("type") not in binding_types():
            raise ValueError(f"binding {name!r} needs a type, one of {', '.join(binding_types())}; got {spec!r}")
        if spec["type"] in ("var", "secret") and not isinstance(spec.get("value"), str):
            raise ValueError(f"{spec['type']} binding {name!r} needs a string value")
        bindings[name] = dict(spec)
    return bindings


# Undeclared names by convention (upstream PyMode's): `KV`/`*_KV`, `R2`/`*_R2`, `D1`/`*_D1`/`*_DB`.
_NAMED_KINDS = (("kv", ("KV",)), ("r2", ("R2",)), ("d1", ("D1", "DB")))


def binding_type(bindings, name):
    """The type of binding `name`: as declared (a declaration always wins), else by naming convention
    (`KV`/`*_KV` kv, `R2`/`*_R2` r2, `D1`/`*_D1`/`*_DB` d1), else None."""
    spec = bindings.get(name)
    if spec is not None:
        return spec["type"]
    for kind, suffixes in _NAMED_KINDS:
        if any(name == s and s != "DB" or name.endswith("_" + s) for s in suffixes):
            return kind
    return None


class Env:
    """Attribute access to bindings: `env.MY_KV`, `env.BUCKET`, `env.API_KEY`.

    Also `env["NAME"]`, `"NAME" in env` and `env.get("NAME", default)`.
    Secret values are never shown by `repr()`.
    """

    def __init__(self, bindings=None):
        """`bindings`: a description to validate (`parse_bindings`); None: the host's (`host_bindings`)."""
        self._start(host_bindings() if bindings is None else parse_bindings(bindings))

    @classmethod
    def from_host(cls, raw):
        """The env of the host's PYMODE_BINDINGS text `raw`, as the host validated it (`host_bindings`)."""
        env = cls.__new__(cls)
        env._start(host_bindings(raw))
        return env

    def _start(self, bindings):
        object.__setattr__(self, "_bindings", bindings)
        object.__setattr__(self, "_objects", {})
        object.__setattr__(self, "_upstream", None)

    def _kind_class(self, kind):
        return BINDING_KINDS[kind]

    def _resolve(self, name):
        kind = binding_type(self._bindings, name)
        if kind is None:
            declared = ", ".join(sorted(self._bindings)) or "none"
            raise AttributeError(f"env has no binding {name!r} (declared bindings: {declared})")
        if kind in ("var", "secret"):
            return self._bindings[name]["value"]
        if name not in self._objects:
            self._objects[name] = self._kind_class(kind)(name)
        return self._objects[name]

    def _as_upstream(self):
        """The same bindings as upstream PyMode's handlers see them (`UpstreamEnv`)."""
        if self._upstream is None:
            view = UpstreamEnv.__new__(UpstreamEnv)
            view._start(self._bindings)
            object.__setattr__(view, "_upstream", view)
            object.__setattr__(self, "_upstream", view)
        return self._upstream

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return self._resolve(name)

    def __setattr__(self, name, value):
        raise AttributeError("env is read-only")

    def __getitem__(self, name):
        try:
            return self._resolve(name)
        except AttributeError as exc:
            raise KeyError(str(exc)) from None

    def __contains__(self, name):
        return binding_type(self._bindings, name) is not None

    def get(self, name, default=None):
        return self._resolve(name) if name in self else default

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._bindings))

    def __repr__(self):
        shown = []
        for name, spec in sorted(self._bindings.items()):
            kind = spec["type"]
            if kind == "var":
                shown.append(f"{name}={spec['value']!r}")
            elif kind == "secret":
                shown.append(f"{name}=<secret>")
            else:
                shown.append(f"{name}=<{kind}>")
        return f"Env({', '.join(shown)})"


# --- KV ------------------------------------------------------------------------

_KV_TYPES = ("text", "json", "bytes")


class _Record:
    """A plain value class: compared and shown by `_fields` (`_hidden` ones are left out of the repr).

    What @dataclass would generate, written out because importing dataclasses loads inspect, ast, dis and a dozen
    more modules at every interpreter start, and into every snapshot."""

    _fields = ()
    _hidden = ()
    __hash__ = None  # mutable values, as dataclasses with eq

    def __repr__(self):
        shown = ", ".join(f"{f}={getattr(self, f)!r}" for f in self._fields if f not in self._hidden)
        return f"{type(self).__qualname__}({shown})"

    def __eq__(self, other):
        if other.__class__ is not self.__class__:
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in self._fields)


KVValue = namedtuple("KVValue", ["value", "metadata"])
KVValue.__doc__ = "`get_with_metadata` result: unpack it or use `.value` / `.metadata`."


class KVList(_Record):
    """`list` result: `keys` is a list of `{"name", "expiration"?, "metadata"?}`."""

    _fields = ("keys", "list_complete", "cursor")

    def __init__(self, keys, list_complete, cursor=None):
        self.keys = keys
        self.list_complete = list_complete
        self.cursor = cursor


class KVNamespace:
    """A Workers KV namespace."""

    SPEC_FIELD = "kv"  # the PyModeWorker field that declares these (spec.bindings.kv)

    def __init__(self, name):
        self.name = name

    def _op(self, op, args, *blobs):
        return HostOp("kv", self.name, op, args, *blobs)

    # Each operation is a generator of host calls (pymode._abi.perform / aperform): the methods below run it
    # blocking, Cloudflare's awaitable API (workers) awaits it.

    def _get_with_metadata(self, key, type):
        if type not in _KV_TYPES:
            raise ValueError(f"type must be one of {', '.join(_KV_TYPES)}, got {type!r}")
        meta, blobs = yield self._op("get", {"key": _check_key(key)})
        if not meta["found"]:
            return KVValue(None, None)
        raw = blobs[0] if blobs else b""
        if type == "bytes":
            value = raw
        elif type == "json":
            value = parse_json(raw, f"KV value {key!r}")
        else:
            value = raw.decode("utf-8", errors="replace")
        return KVValue(value, meta.get("metadata"))

    def get_with_metadata(self, key, type="text"):
        """(value, metadata) of `key`, or (None, None) when it does not exist."""
        return perform(self._get_with_metadata(key, type))

    def get(self, key, type="text"):
        """The value of `key` as text, parsed JSON or bytes; None when missing."""
        return self.get_with_metadata(key, type).value

    def put(self, key, value, expiration_ttl=None, expiration=None, metadata=None):
        """Store `value` (str, bytes, or dict/list as JSON).

        `expiration_ttl` is seconds from now, `expiration` seconds since the
        epoch; `metadata` is any JSON value stored beside the key.
        """
        perform(self._put(key, value, expiration_ttl, expiration, metadata))

    def _put(self, key, value, expiration_ttl, expiration, metadata):
        data, _ = to_body(value, f"KV value for {key!r}")
        args = {"key": _check_key(key)}
        if expiration_ttl is not None:
            args["expirationTtl"] = expiration_ttl
        if expiration is not None:
            args["expiration"] = expiration
        if metadata is not None:
            args["metadata"] = metadata
        yield self._op("put", args, data)

    def delete(self, key):
        perform(self._delete(key))

    def _delete(self, key):
        yield self._op("delete", {"key": _check_key(key)})

    def get_multi(self, keys, type="text"):
        """{key: value} of the `keys` that exist (upstream PyMode's name); one host call per key."""
        out = {}
        for key in keys:
            value = self.get(key, type=type)
            if value is not None:
                out[key] = value
        return out

    def put_multi(self, items):
        """Store a dict of key -> value, or (key, value) pairs (upstream PyMode's name)."""
        for key, value in (items.items() if isinstance(items, dict) else items):
            self.put(key, value)

    def list(self, prefix=None, limit=None, cursor=None):
        """Keys in lexicographic order; follow `cursor` while not `list_complete`."""
        return perform(self._list(prefix, limit, cursor))

    def _list(self, prefix, limit, cursor):
        args = {k: v for k, v in (("prefix", prefix), ("limit", limit), ("cursor", cursor)) if v is not None}
        meta, _ = yield self._op("list", args)
        return KVList(meta["keys"], meta["list_complete"], meta.get("cursor"))

    def __repr__(self):
        return f"<KVNamespace {self.name}>"


def _check_key(key):
    if not isinstance(key, str):
        raise TypeError(f"key must be str, not {type(key).__name__}")
    return key


# --- R2 ------------------------------------------------------------------------


class R2Object(_Record):
    """An R2 object: metadata, plus `body` (bytes) when it came from `get`."""

    _fields = ("key", "size", "etag", "http_etag", "uploaded", "http_metadata", "custom_metadata", "body")
    _hidden = ("body",)

    def __init__(self, key, size, etag, http_etag, uploaded, http_metadata=None, custom_metadata=None, body=None):
        self.key = key
        self.size = size
        self.etag = etag
        self.http_etag = http_etag
        self.uploaded = uploaded  # datetime.datetime
        self.http_metadata = {} if http_metadata is None else http_metadata
        self.custom_metadata = {} if custom_metadata is None else custom_metadata
        self.body = body  # bytes or None

    @classmethod
    def _from_meta(cls, obj, body=None):
        import datetime  # not at start: only R2 results need it

        uploaded = datetime.datetime.fromisoformat(obj["uploaded"].replace("Z", "+00:00"))
        return cls(
            key=obj["key"], size=obj["size"], etag=obj["etag"], http_etag=obj["httpEtag"],
            uploaded=uploaded, http_metadata=dict(obj.get("httpMetadata") or {}),
            custom_metadata=dict(obj.get("customMetadata") or {}), body=body,
        )

    def _need_body(self):
        if self.body is None:
            raise ValueError(f"R2 object {self.key!r} has no body (it came from head/put/list, use get)")
        return self.body

    def bytes(self):
        return self._need_body()

    def text(self):
        return decode_text(self._need_body(), self.http_metadata.get("contentType"))

    def json(self):
        return parse_json(self._need_body(), f"R2 object {self.key!r}")


class R2Objects(_Record):
    """`list` result; `delimited_prefixes` lists the "folders" when a delimiter is used."""

    _fields = ("objects", "truncated", "cursor", "delimited_prefixes")

    def __init__(self, objects, truncated, cursor=None, delimited_prefixes=None):
        self.objects = objects
        self.truncated = truncated
        self.cursor = cursor
        self.delimited_prefixes = [] if delimited_prefixes is None else delimited_prefixes


class R2Bucket:
    """An R2 bucket. `http_metadata` uses R2's names (contentType, cacheControl, ...)."""

    SPEC_FIELD = "r2"

    def __init__(self, name):
        self.name = name

    def _op(self, op, args, *blobs):
        return HostOp("r2", self.name, op, args, *blobs)

    # Operations are generators of host calls, as for KV.

    def get(self, key):
        """The object with its body, or None."""
        return perform(self._get(key))

    def _get(self, key):
        meta, blobs = yield self._op("get", {"key": _check_key(key)})
        if not meta["found"]:
            return None
        return R2Object._from_meta(meta["object"], blobs[0] if blobs else b"")

    def head(self, key):
        """The object's metadata (no body), or None."""
        return perform(self._head(key))

    def _head(self, key):
        meta, _ = yield self._op("head", {"key": _check_key(key)})
        return R2Object._from_meta(meta["object"]) if meta["found"] else None

    def put(self, key, value, http_metadata=None, custom_metadata=None):
        """Store `value` (str, bytes, or dict/list as JSON) -> the new object's metadata.

        Without an explicit contentType the type implied by `value` is stored.
        """
        return perform(self._put(key, value, http_metadata, custom_metadata))

    def _put(self, key, value, http_metadata, custom_metadata):
        data, content_type = to_body(value, f"R2 value for {key!r}")
        http_metadata = dict(http_metadata or {})
        if content_type and "contentType" not in http_metadata:
            http_metadata["contentType"] = content_type
        args = {"key": _check_key(key), "httpMetadata": http_metadata}
        if custom_metadata is not None:
            args["customMetadata"] = custom_metadata
        meta, _ = yield self._op("put", args, data)
        return R2Object._from_meta(meta["object"])

    def delete(self, keys):
        """Delete one key or a list of keys (missing keys are not an error)."""
        perform(self._delete(keys))

    def _delete(self, keys):
        keys = [keys] if isinstance(keys, str) else [_check_key(k) for k in keys]
        yield self._op("delete", {"keys": keys})

    def list(self, prefix=None, limit=None, cursor=None, delimiter=None):
        return perform(self._list(prefix, limit, cursor, delimiter))

    def _list(self, prefix, limit, cursor, delimiter):
        args = {
            k: v
            for k, v in (("prefix", prefix), ("limit", limit), ("cursor", cursor), ("delimiter", delimiter))
            if v is not None
        }
        meta, _ = yield self._op("list", args)
        return R2Objects(
            [R2Object._from_meta(o) for o in meta["objects"]], meta["truncated"],
            meta.get("cursor"), list(meta.get("delimitedPrefixes") or []),
        )

    def __repr__(self):
        return f"<R2Bucket {self.name}>"


class UpstreamR2Bucket(R2Bucket):
    """An R2 bucket as upstream PyMode's R2 binding: `get` returns the object's bytes (None when missing);
    `head` still gives the metadata."""

    def get(self, key):
        obj = super().get(key)
        return None if obj is None else obj.body


# --- D1 ------------------------------------------------------------------------


def encode_d1_value(value):
    """A Python value as a D1 JSON parameter (bytes -> {"$bytes": base64})."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        import base64  # not at start: only D1 blobs need it

        return {"$bytes": base64.b64encode(bytes(value)).decode("ascii")}
    raise TypeError(f"D1 parameters must be None, bool, int, float, str or bytes, not {type(value).__name__}")


def decode_d1_value(value):
    """A D1 JSON column value as Python ({"$bytes": base64} -> bytes)."""
    if isinstance(value, dict) and set(value) == {"$bytes"}:
        import base64

        return base64.b64decode(value["$bytes"])
    return value


class D1Result(_Record):
    """`results` (rows as dicts, or lists for raw), `success`, `meta` (changes, last_row_id, duration)."""

    _fields = ("results", "success", "meta")

    def __init__(self, results, success, meta):
        self.results = results
        self.success = success
        self.meta = meta

    def __getitem__(self, key):
        """`result["results"]` as well as `result.results` (upstream PyMode's results are dicts)."""
        if key not in ("results", "success", "meta"):
            raise KeyError(key)
        return getattr(self, key)

    def get(self, key, default=None):
        """`result.get("results", [])`, as on upstream PyMode's dict results."""
        return self[key] if key in ("results", "success", "meta") else default

    @classmethod
    def _from_meta(cls, meta):
        rows = []
        for row in meta.get("results") or []:
            if isinstance(row, dict):
                rows.append({k: decode_d1_value(v) for k, v in row.items()})
            else:
                rows.append([decode_d1_value(v) for v in row])
        return cls(rows, bool(meta.get("success")), dict(meta.get("meta") or {}))


class D1ExecResult(_Record):
    _fields = ("count", "duration")

    def __init__(self, count, duration):
        self.count = count
        self.duration = duration


class D1PreparedStatement:
    """A SQL statement with bound parameters; `bind` returns a new statement."""

    def __init__(self, db, sql, params=()):
        if not isinstance(sql, str):
            raise TypeError(f"sql must be str, not {type(sql).__name__}")
        self._db = db
        self.sql = sql
        self.params = tuple(params)

    def bind(self, *params):
        for p in params:
            encode_d1_value(p)  # fail at bind time, where the mistake is
        return D1PreparedStatement(self._db, self.sql, params)

    def _wire(self):
        return {"sql": self.sql, "params": [encode_d1_value(p) for p in self.params]}

    # Operations are generators of host calls, as for KV.

    def _query(self, mode):
        meta, _ = yield self._db._op("query", dict(self._wire(), mode=mode))
        return D1Result._from_meta(meta)

    def all(self):
        return perform(self._query("all"))

    def run(self):
        return perform(self._query("run"))

    def raw(self):
        """Rows as lists of column values."""
        return perform(self._query("raw")).results

    def first(self, column=None):
        """The first row as a dict (or one column of it), or None when there are no rows."""
        return perform(self._first(column))

    def _first(self, column):
        rows = (yield from self._query("first")).results
        if not rows:
            return None
        if column is None:
            return rows[0]
        if column not in rows[0]:
            raise D1Error(-3, "D1_COLUMN_NOTFOUND", f"no column {column!r} in the result", "d1", self._db.name, "query")
        return rows[0][column]

    def __repr__(self):
        return f"<D1PreparedStatement {self.sql!r} params={len(self.params)}>"


class D1Database:
    """A D1 (SQLite) database."""

    SPEC_FIELD = "d1"

    def __init__(self, name):
        self.name = name

    def _op(self, op, args):
        return HostOp("d1", self.name, op, args)

    def prepare(self, sql):
        return D1PreparedStatement(self, sql)

    def batch(self, statements):
        """Run statements in one transaction (all or nothing) -> a D1Result each."""
        return perform(self._batch(statements))

    def _batch(self, statements):
        wire = []
        for stmt in statements:
            if not isinstance(stmt, D1PreparedStatement):
                raise TypeError(f"batch takes prepared statements, got {type(stmt).__name__}")
            wire.append(stmt._wire())
        meta, _ = yield self._op("batch", {"statements": wire})
        return [D1Result._from_meta(m) for m in meta]

    def exec(self, sql):
        """Run one or more `;`-separated statements without parameters or results."""
        return perform(self._exec(sql))

    def _exec(self, sql):
        meta, _ = yield self._op("exec", {"sql": sql})
        return D1ExecResult(meta["count"], meta["duration"])

    def __repr__(self):
        return f"<D1Database {self.name}>"


# --- the binding-kind registry ---------------------------------------------------
# One entry per declared binding kind: kind name (as in PYMODE_BINDINGS and the host call) -> the
# class `env.NAME` is; the class's SPEC_FIELD is the spec.bindings field that declares it (read by the
# dev server from worker.yaml). A new kind is one class in its own module plus one line here
# (docs/abi.md "Adding a binding kind"); python.wasm does not change.
from .queues import Queue  # noqa: E402
from .services import Service  # noqa: E402

BINDING_KINDS = {"kv": KVNamespace, "r2": R2Bucket, "d1": D1Database, "queue": Queue, "service": Service}


def binding_types():
    """Every type a binding description may have: the registry's kinds plus var and secret."""
    return (*BINDING_KINDS, "var", "secret")


# --- upstream PyMode's API ---------------------------------------------------------


class UpstreamD1Database(D1Database):
    """A D1 database as upstream PyMode's D1 binding: `batch` returns each statement's rows."""

    def batch(self, statements):
        return [result.results for result in super().batch(statements)]


class UpstreamEnv(Env):
    """`env` as upstream PyMode's handlers use it (`from pymode.workers import Env`): the same bindings, but R2
    `get` returns the object's bytes and D1 `batch` each statement's rows. It also takes upstream's constructor argument, where a plain string value
    is a var (`Env({"API_KEY": "k"})`). Entry modules written for upstream get this env (pymode._entrypoints)."""

    def __init__(self, bindings=None):
        if isinstance(bindings, dict):
            bindings = {name: {"type": "var", "value": spec} if isinstance(spec, str) else spec
                        for name, spec in bindings.items()}
        super().__init__(bindings)
        object.__setattr__(self, "_upstream", self)

    def _kind_class(self, kind):
        return {"r2": UpstreamR2Bucket, "d1": UpstreamD1Database}.get(kind) or BINDING_KINDS[kind]


_static_env = (None, None)


def _current_env():
    global _static_env
    raw = os.environ.get(BINDINGS_ENV, "")
    if _static_env[0] != raw:
        _static_env = (raw, Env.from_host(raw))
    return _static_env[1]


def _split_key(raw, default):
    """Upstream's binding-qualified key: "NAME\0key" -> (NAME, key); a plain key uses the default binding."""
    if not isinstance(raw, str):
        raise TypeError(f"key must be str, not {type(raw).__name__}")
    name, sep, key = raw.partition("\0")
    return (name, key) if sep else (default, raw)


def _binding(cls, name, what):
    env = _current_env()
    try:
        binding = env[name]
    except KeyError:
        declared = ", ".join(n for n, spec in sorted(env._bindings.items()) if spec["type"] == cls.SPEC_FIELD) or "none"
        raise LookupError(f"pymode.env.{what}: no {what} binding named {name!r} (declared {what} bindings: {declared}); "
                          f"name one with a key \"NAME\\0key\" or use env.NAME") from None
    if not isinstance(binding, cls):
        raise TypeError(f"pymode.env.{what}: binding {name!r} is not a {what} binding")
    return binding


def _as_bytes(value, what):
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise TypeError(f"{what} must be bytes or str, not {type(value).__name__}")


class KV:
    """Upstream PyMode's static KV helpers: values are bytes; the binding is `KV` unless the key names one."""

    @staticmethod
    def get(key):
        name, key = _split_key(key, "KV")
        return _binding(KVNamespace, name, "KV").get(key, type="bytes")

    @staticmethod
    def multi_get(keys):
        """The values of `keys` (bytes, None when missing), in order."""
        return [KV.get(k) for k in keys]

    @staticmethod
    def put(key, value):
        name, key = _split_key(key, "KV")
        _binding(KVNamespace, name, "KV").put(key, _as_bytes(value, f"KV value for {key!r}"))

    @staticmethod
    def multi_put(entries):
        """Store (key, value) pairs."""
        for key, value in entries:
            KV.put(key, value)

    @staticmethod
    def delete(key):
        name, key = _split_key(key, "KV")
        _binding(KVNamespace, name, "KV").delete(key)


class R2:
    """Upstream PyMode's static R2 helpers: object bodies as bytes; the binding is `R2` unless the key names one."""

    @staticmethod
    def get(key):
        name, key = _split_key(key, "R2")
        obj = _binding(R2Bucket, name, "R2").get(key)
        return None if obj is None else obj.body

    @staticmethod
    def put(key, value):
        name, key = _split_key(key, "R2")
        _binding(R2Bucket, name, "R2").put(key, _as_bytes(value, f"R2 value for {key!r}"))


class D1:
    """Upstream PyMode's static D1 helpers: rows as dicts; the database is `D1` unless the SQL names one
    ("NAME\0SELECT ...", or "binding" in a batch query)."""

    @staticmethod
    def execute(sql, params=None):
        name, sql = _split_key(sql, "D1")
        if params is not None and not isinstance(params, (list, tuple)):
            raise TypeError(f"params must be a list, not {type(params).__name__}")
        return _binding(D1Database, name, "D1").prepare(sql).bind(*(params or ())).all().results

    @staticmethod
    def batch(queries):
        """Run [{"sql", "params"?, "binding"?}, ...] in one transaction on one database -> rows per query."""
        if not queries:
            return []
        names = set()
        statements = []
        for query in queries:
            if not isinstance(query, dict) or not isinstance(query.get("sql"), str):
                raise TypeError('each batch query must be a dict {"sql": str, "params"?: list, "binding"?: str}')
            name, sql = _split_key(query["sql"], query.get("binding") or "D1")
            names.add(name)
            statements.append((sql, query.get("params") or ()))
        if len(names) > 1:
            raise ValueError(f"a D1 batch runs on one database; these queries name {', '.join(sorted(names))}")
        db = _binding(D1Database, names.pop(), "D1")
        return [r.results for r in db.batch([db.prepare(sql).bind(*params) for sql, params in statements])]


def get_env(key):
    """The value of var or secret `key`, or None."""
    spec = _current_env()._bindings.get(key)
    return spec["value"] if spec is not None and spec["type"] in ("var", "secret") else None


def console_log(msg):
    """A line in the worker's log (info level)."""
    from ._abi import log

    log(20, str(msg))
