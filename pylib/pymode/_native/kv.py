"""KV namespaces on SQLite (docs/abi.md §3 KV), with Cloudflare's limits."""

import json

from ._common import arg, decode_cursor, encode_cursor, invalid, key_arg, limit, list_limit, one_blob

KEY_MAX_BYTES = 512
VALUE_MAX_BYTES = 25 * 1024 * 1024
METADATA_MAX_BYTES = 1024
MIN_TTL_SECONDS = 60

_SCHEMA = """CREATE TABLE IF NOT EXISTS kv (
    namespace TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,
    expiration INTEGER, metadata TEXT, PRIMARY KEY (namespace, key))"""


class KVStore:
    def __init__(self, conn, clock):
        self._db = conn
        self._clock = clock
        self._db.execute(_SCHEMA)

    def op(self, namespace, op, args, blobs):
        handler = {"get": self.get, "put": self.put, "delete": self.delete, "list": self.list}.get(op)
        if handler is None:
            raise invalid(f"unknown KV operation {op!r}")
        return handler(namespace, args, blobs)

    def _live(self):
        # Expired keys read as missing, as on Cloudflare; rows are purged lazily.
        return "(expiration IS NULL OR expiration > ?)", int(self._clock())

    def get(self, namespace, args, blobs):
        key = key_arg(args, KEY_MAX_BYTES)
        live, now = self._live()
        row = self._db.execute(
            f"SELECT value, metadata FROM kv WHERE namespace = ? AND key = ? AND {live}", (namespace, key, now)
        ).fetchone()
        if row is None:
            return {"found": False}, []
        meta = {"found": True}
        if row[1] is not None:
            meta["metadata"] = json.loads(row[1])
        return meta, [row[0]]

    def put(self, namespace, args, blobs):
        key = key_arg(args, KEY_MAX_BYTES)
        if key in (".", ".."):
            raise invalid(f"key {key!r} is not allowed")
        value = one_blob(blobs, "kv put")
        if len(value) > VALUE_MAX_BYTES:
            raise limit(f"value is {len(value)} bytes, more than the {VALUE_MAX_BYTES} allowed")
        expiration = self._expiration(args)
        metadata = None
        if args.get("metadata") is not None:
            metadata = json.dumps(args["metadata"], separators=(",", ":"))
            if len(metadata.encode("utf-8")) > METADATA_MAX_BYTES:
                raise limit(f"metadata is more than {METADATA_MAX_BYTES} bytes serialised")
        self._db.execute(
            "INSERT OR REPLACE INTO kv (namespace, key, value, expiration, metadata) VALUES (?, ?, ?, ?, ?)",
            (namespace, key, value, expiration, metadata),
        )
        return None, []

    def _expiration(self, args):
        ttl = _number(args, "expirationTtl")
        absolute = _number(args, "expiration")
        if ttl is not None and absolute is not None:
            raise invalid("give either expiration or expirationTtl, not both")
        now = self._clock()
        if ttl is not None:
            if ttl < MIN_TTL_SECONDS:
                raise invalid(f"expirationTtl must be at least {MIN_TTL_SECONDS} seconds, got {ttl}")
            return int(now + ttl)
        if absolute is not None:
            if absolute < now + MIN_TTL_SECONDS:
                raise invalid(f"expiration must be at least {MIN_TTL_SECONDS} seconds in the future")
            return int(absolute)
        return None

    def delete(self, namespace, args, blobs):
        key = key_arg(args, KEY_MAX_BYTES)
        self._db.execute("DELETE FROM kv WHERE namespace = ? AND key = ?", (namespace, key))
        return None, []

    def list(self, namespace, args, blobs):
        prefix = arg(args, "prefix", str, default="")
        count = list_limit(args)
        after = decode_cursor(args).get("after", "")
        live, now = self._live()
        self._db.execute("DELETE FROM kv WHERE expiration IS NOT NULL AND expiration <= ?", (now,))
        rows = self._db.execute(
            f"""SELECT key, expiration, metadata FROM kv
                WHERE namespace = ? AND key > ? AND substr(key, 1, length(?)) = ? AND {live}
                ORDER BY key LIMIT ?""",
            (namespace, after, prefix, prefix, now, count + 1),
        ).fetchall()
        keys = []
        for key, expiration, metadata in rows[:count]:
            entry = {"name": key}
            if expiration is not None:
                entry["expiration"] = expiration
            if metadata is not None:
                entry["metadata"] = json.loads(metadata)
            keys.append(entry)
        meta = {"keys": keys, "list_complete": len(rows) <= count}
        if not meta["list_complete"]:
            meta["cursor"] = encode_cursor({"after": keys[-1]["name"]})
        return meta, []


def _number(args, name):
    value = args.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise invalid(f"argument {name!r} must be a number of seconds, got {json.dumps(value)}")
    return value
