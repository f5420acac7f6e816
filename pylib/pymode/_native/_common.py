"""Shared pieces of the native host: failures, argument checks, cursors, clock."""

import base64
import datetime
import json
import sqlite3

from .. import _abi


class Fail(Exception):
    """An operation failed with a negative ABI status; becomes `HostError`."""

    def __init__(self, status, code, message):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def invalid(message):
    return Fail(_abi.STATUS_INVALID_ARGUMENT, "INVALID_ARGUMENT", message)


def limit(message):
    return Fail(_abi.STATUS_LIMIT, "LIMIT_EXCEEDED", message)


def io_error(message):
    return Fail(_abi.STATUS_IO, "IO_ERROR", message)


_TYPE_NAMES = {str: "a string", int: "an integer", bool: "a boolean", list: "an array", dict: "an object"}


def arg(args, name, kind, default=None, required=False):
    """Argument `name` of JSON type `kind` (a Python type), or `default`."""
    if name not in args or args[name] is None:
        if required:
            raise invalid(f"missing argument {name!r}")
        return default
    value = args[name]
    # JSON true/false are ints in Python; never accept them as numbers.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise invalid(f"argument {name!r} must be {_TYPE_NAMES.get(kind, kind.__name__)}, got {json.dumps(value)}")
    return value


def one_blob(blobs, what):
    if len(blobs) != 1:
        raise invalid(f"{what} needs exactly one binary field, got {len(blobs)}")
    return blobs[0]


def list_limit(args, maximum=1000):
    value = arg(args, "limit", int, default=maximum)
    if not 1 <= value <= maximum:
        raise invalid(f"limit must be between 1 and {maximum}, got {value}")
    return value


def key_arg(args, max_bytes):
    key = arg(args, "key", str, required=True)
    if key == "":
        raise invalid("key must not be empty")
    if len(key.encode("utf-8")) > max_bytes:
        raise limit(f"key is longer than {max_bytes} bytes")
    return key


def encode_cursor(state):
    """An opaque list cursor carrying `state` (a small JSON object)."""
    return base64.urlsafe_b64encode(json.dumps(state).encode()).decode("ascii").rstrip("=")


def decode_cursor(args):
    cursor = arg(args, "cursor", str)
    if cursor is None:
        return {}
    try:
        state = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if isinstance(state, dict):
            return state
    except ValueError:
        pass
    raise invalid(f"cursor {cursor!r} was not returned by a list call")


def iso_utc(epoch_seconds):
    """ISO-8601 in UTC with milliseconds and a Z, the format R2 uses."""
    moment = datetime.datetime.fromtimestamp(epoch_seconds, tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def open_sqlite(path):
    """A connection in autocommit mode, usable from the dev server's threads
    (the host serialises access with its own lock)."""
    return sqlite3.connect(path, isolation_level=None, check_same_thread=False)
