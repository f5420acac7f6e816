"""The Python side of the host ABI (docs/abi.md): frames, errors and `call`.

Everything that crosses the boundary to the host goes through this module, so
the wire format and the error mapping live in exactly one place. The host is
the `_pymode` module: built into python.wasm, or `pymode._native` natively.

It imports nothing at load and encodes empty arguments without `json`: the finder of the stdlib modules kept in
static assets (pymode._wasi.lazy_stdlib) calls the host through it before the rest of the stdlib can be imported.
"""

ABI_VERSION = 2

# Negative statuses returned by the binding call (docs/abi.md §2).
STATUS_INTERNAL = -1
STATUS_UNKNOWN_BINDING = -2
STATUS_INVALID_ARGUMENT = -3
STATUS_IO = -4
STATUS_LIMIT = -5
STATUS_NOT_SUPPORTED = -6

STATUS_NAMES = {
    STATUS_INTERNAL: "internal error",
    STATUS_UNKNOWN_BINDING: "unknown binding",
    STATUS_INVALID_ARGUMENT: "invalid argument",
    STATUS_IO: "I/O or network failure",
    STATUS_LIMIT: "limit exceeded",
    STATUS_NOT_SUPPORTED: "not supported by this host",
}

class FrameError(ValueError):
    """A byte string is not a valid frame list."""


def encode_frames(*fields):
    """Concatenate fields as `u32 LE length` + bytes each."""
    out = bytearray()
    for field in fields:
        if isinstance(field, str):
            field = field.encode("utf-8")
        field = bytes(field)
        out += len(field).to_bytes(4, "little")
        out += field
    return bytes(out)


def decode_frames(data):
    """Split a frame list into its fields (a list of bytes)."""
    # bytes are sliced as they are (one copy per field); anything else through a view (no copy of the whole)
    view = data if type(data) is bytes else memoryview(data)
    size = len(view)
    fields = []
    pos = 0
    while pos < size:
        if pos + 4 > size:
            raise FrameError(f"truncated frame header at offset {pos} of {size} bytes")
        length = int.from_bytes(view[pos : pos + 4], "little")
        pos += 4
        if pos + length > size:
            raise FrameError(
                f"frame at offset {pos - 4} declares {length} bytes but only {size - pos} remain"
            )
        field = view[pos : pos + length]
        fields.append(field if view is data else bytes(field))
        pos += length
    return fields


# what the host answers to a call without a result (a stdlib asset's metadata), decoded without `json`
_TRIVIAL_JSON = {b"null": lambda: None, b"{}": dict}


_encoder = None  # the JSONEncoder of dump_json, made on first use (json is not imported at start)


def dump_json(value):
    """Compact UTF-8 JSON, the encoding of every JSON field on the wire."""
    global _encoder
    if value == {} and type(value) is dict:
        return b"{}"
    if _encoder is None:
        import json

        # what json.dumps(value, separators=(",", ":"), ensure_ascii=False) builds on every call
        _encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
    return _encoder.encode(value).encode("utf-8")


def load_json(data, what):
    if data in _TRIVIAL_JSON:
        return _TRIVIAL_JSON[data]()
    import json

    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise FrameError(f"{what} is not valid UTF-8 JSON: {exc}") from None


def encode_request(op, args, *blobs):
    """Request frames: op name, JSON arguments, raw blobs."""
    return encode_frames(op.encode("ascii"), dump_json(args), *blobs)


def decode_request(data):
    """Inverse of `encode_request` -> (op, args, blobs). Used by hosts."""
    fields = decode_frames(data)
    if len(fields) < 2:
        raise FrameError(f"a request needs an operation and JSON arguments, got {len(fields)} field(s)")
    try:
        op = fields[0].decode("ascii")
    except UnicodeDecodeError:
        raise FrameError("the operation name is not ASCII") from None
    return op, load_json(fields[1], "request arguments"), fields[2:]


def encode_result(meta, *blobs):
    """Result frames: JSON metadata (null when none), raw blobs."""
    return encode_frames(dump_json(meta), *blobs)


def decode_result(data):
    """Inverse of `encode_result` -> (meta, blobs)."""
    fields = decode_frames(data)
    if not fields:
        raise FrameError("an empty result has no metadata field")
    return load_json(fields[0], "result metadata"), fields[1:]


def encode_error(code, message):
    """The error frames that accompany a negative status."""
    return encode_frames(dump_json({"code": code, "message": message}))


# --- exceptions -----------------------------------------------------------


class HostError(Exception):
    """A binding call failed in the host (a negative status).

    Attributes: `status` (negative int), `code` (host error code such as
    "INVALID_ARGUMENT" or "D1_ERROR"), `detail` (the host's message), and
    `kind`, `binding`, `op` naming the call that failed.
    """

    def __init__(self, status, code, detail, kind="", binding="", op=""):
        self.status = status
        self.code = code
        self.detail = detail
        self.kind = kind
        self.binding = binding
        self.op = op
        target = f"{kind}.{op}" + (f" on binding {binding!r}" if binding else "")
        reason = STATUS_NAMES.get(status, f"status {status}")
        super().__init__(f"{target} failed: {detail} ({code}, {reason})")


class KVError(HostError):
    """A KV namespace operation failed."""


class R2Error(HostError):
    """An R2 bucket operation failed."""


class D1Error(HostError):
    """A D1 database operation failed (bad SQL, constraint violation, ...)."""


class FetchError(HostError, ConnectionError):
    """An outbound HTTP fetch failed (no HTTP response was received)."""


class TcpError(HostError, ConnectionError):
    """An outbound TCP socket operation failed."""


class QueueError(HostError):
    """Sending to a queue failed."""


_ERROR_CLASSES = {"kv": KVError, "r2": R2Error, "d1": D1Error, "http": FetchError, "tcp": TcpError,
                  "service": FetchError, "queue": QueueError}


def error_from_status(kind, binding, op, status, payload):
    """Build the Python exception for a failed call from the host's error frames."""
    code, detail = "UNKNOWN", "the host gave no error message"
    try:
        fields = decode_frames(payload)
        info = load_json(fields[0], "error") if fields else None
        if isinstance(info, dict):
            code = str(info.get("code", code))
            detail = str(info.get("message", detail))
    except FrameError as exc:
        detail = f"unreadable error payload ({exc})"
    cls = _ERROR_CLASSES.get(kind, HostError)
    return cls(status, code, detail, kind, binding, op)


# --- the host -------------------------------------------------------------


def host():
    """The `_pymode` module, or a RuntimeError that says how to get one."""
    try:
        import _pymode
    except ImportError:
        raise RuntimeError(
            "pymode: the host module '_pymode' is not available. Inside python.wasm it is "
            "built in; on native Python call pymode._native.install() first (the PyMode "
            "dev server and the pylib tests do this)."
        ) from None
    version = getattr(_pymode, "ABI_VERSION", None)
    if version != ABI_VERSION:
        raise RuntimeError(
            f"pymode: host ABI version {version!r} does not match this library's {ABI_VERSION}"
        )
    return _pymode


def call(kind, binding, op, args, *blobs):
    """Perform one binding operation -> (meta, blobs); raises a HostError subclass."""
    _pymode = host()
    request = encode_request(op, args, *blobs)
    try:
        result = _pymode.call(kind, binding, request)
    except _pymode.HostError as exc:
        status, payload = exc.args[0], exc.args[1] if len(exc.args) > 1 else b""
        raise error_from_status(kind, binding, op, status, payload) from None
    return decode_result(result)


# --- one binding operation, run synchronously or awaited ------------------------------
# A binding method that should also be awaitable is written once, as a generator that yields the
# `HostOp`s it needs and returns its value: `perform(gen)` makes each with the blocking `call` (the wasm
# stack suspends underneath), `await aperform(gen)` awaits each through `acall`, which lets the serving
# event loop (pymode._serve) run other requests while the host works.


class HostOp:
    """A binding call to make: what `call` takes, as data."""

    __slots__ = ("kind", "binding", "op", "args", "blobs")

    def __init__(self, kind, binding, op, args, *blobs):
        self.kind, self.binding, self.op, self.args, self.blobs = kind, binding, op, args, blobs


def perform(operation):
    """Drive a generator of `HostOp`s with blocking calls; return its value."""
    try:
        step = next(operation)
        while True:
            try:
                result = call(step.kind, step.binding, step.op, step.args, *step.blobs)
            except HostError as exc:
                step = operation.throw(exc)
            else:
                step = operation.send(result)
    except StopIteration as done:
        return done.value


async def aperform(operation):
    """Drive a generator of `HostOp`s with awaited calls; return its value."""
    try:
        step = next(operation)
        while True:
            try:
                result = await acall(step.kind, step.binding, step.op, step.args, *step.blobs)
            except HostError as exc:
                step = operation.throw(exc)
            else:
                step = operation.send(result)
    except StopIteration as done:
        return done.value


async def acall(kind, binding, op, args, *blobs):
    """`call`, awaited: on the serving loop the host works while other requests run; on any other loop
    (asyncio.run, the dev server) the call blocks as `call` does."""
    import asyncio

    start = getattr(asyncio.get_running_loop(), "start_host_call", None)
    if start is None:
        return call(kind, binding, op, args, *blobs)
    request = encode_request(op, args, *blobs)
    status, payload = await start(kind, binding, request)
    if status < 0:
        raise error_from_status(kind, binding, op, status, payload)
    return decode_result(payload)


LOG_LEVELS = {10: "DEBUG", 20: "INFO", 30: "WARNING", 40: "ERROR", 50: "CRITICAL"}


def log(level, message):
    """Send a log line to the host; falls back to stderr when there is no host."""
    try:
        import _pymode
    except ImportError:
        import sys

        print(f"{LOG_LEVELS.get(level, level)} {message}", file=sys.stderr)
        return
    _pymode.log(level, message)
