"""Durable Object storage for the native host: the host kind `do_storage`
(docs/abi.md §7) on SQLite (KV op shapes), plus the `alarm` op.

The native host delivers no alarms: `alarm` records the requested time and
answers `{"alarm": false}`, which tells `pymode.workflows` to wait in-process.
"""

from .. import _abi
from ._common import Fail, arg, invalid, one_blob
from .kv import KVStore

DO_STORAGE_BINDING = "__pymode_do_storage__"  # its namespace in the KV table
# The value limit of the Durable Object storage API (enforced on every host).
VALUE_MAX_BYTES = 128 * 1024


class DurableStore:
    def __init__(self, conn, clock):
        self._kv = KVStore(conn, clock)
        self.alarm_at = None

    def op(self, op, args, blobs):
        if op == "alarm":
            at = args.get("at")
            if isinstance(at, bool) or not isinstance(at, (int, float)):
                raise invalid(f"alarm needs a number 'at' (epoch seconds), got {at!r}")
            if self.alarm_at is None or at < self.alarm_at:
                self.alarm_at = float(at)
            return {"alarm": False}, []
        if op == "put":
            if args.get("expirationTtl") is not None or args.get("expiration") is not None:
                raise Fail(_abi.STATUS_NOT_SUPPORTED, "NOT_SUPPORTED",
                           "Durable Object storage has no key expiration")
            value = one_blob(blobs, "storage put")
            if len(value) > VALUE_MAX_BYTES:
                raise Fail(_abi.STATUS_LIMIT, "LIMIT_EXCEEDED",
                           f"value is {len(value)} bytes, more than the {VALUE_MAX_BYTES} Durable Object storage allows")
        if op == "list":
            arg(args, "prefix", str)
        return self._kv.op(DO_STORAGE_BINDING, op, args, blobs)
