"""R2 buckets on SQLite (docs/abi.md §3 R2), with Cloudflare's limits."""

import hashlib
import json

from ._common import arg, decode_cursor, encode_cursor, invalid, iso_utc, key_arg, limit, list_limit, one_blob

KEY_MAX_BYTES = 1024
CUSTOM_METADATA_MAX_BYTES = 2048
DELETE_MAX_KEYS = 1000
HTTP_METADATA_FIELDS = (
    "contentType", "contentLanguage", "contentDisposition", "contentEncoding", "cacheControl", "cacheExpiry",
)

_SCHEMA = """CREATE TABLE IF NOT EXISTS r2 (
    bucket TEXT NOT NULL, key TEXT NOT NULL, body BLOB NOT NULL, size INTEGER NOT NULL,
    etag TEXT NOT NULL, uploaded REAL NOT NULL, http_metadata TEXT NOT NULL,
    custom_metadata TEXT NOT NULL, PRIMARY KEY (bucket, key))"""

_META_COLUMNS = "key, size, etag, uploaded, http_metadata, custom_metadata"


class R2Store:
    def __init__(self, conn, clock):
        self._db = conn
        self._clock = clock
        self._db.execute(_SCHEMA)

    def op(self, bucket, op, args, blobs):
        handler = {
            "get": self.get, "head": self.head, "put": self.put, "delete": self.delete, "list": self.list,
        }.get(op)
        if handler is None:
            raise invalid(f"unknown R2 operation {op!r}")
        return handler(bucket, args, blobs)

    def _fetch(self, bucket, key, with_body):
        columns = _META_COLUMNS + (", body" if with_body else "")
        return self._db.execute(
            f"SELECT {columns} FROM r2 WHERE bucket = ? AND key = ?", (bucket, key)
        ).fetchone()

    def get(self, bucket, args, blobs):
        row = self._fetch(bucket, key_arg(args, KEY_MAX_BYTES), with_body=True)
        if row is None:
            return {"found": False}, []
        return {"found": True, "object": _object(row)}, [row[6]]

    def head(self, bucket, args, blobs):
        row = self._fetch(bucket, key_arg(args, KEY_MAX_BYTES), with_body=False)
        if row is None:
            return {"found": False}, []
        return {"found": True, "object": _object(row)}, []

    def put(self, bucket, args, blobs):
        key = key_arg(args, KEY_MAX_BYTES)
        body = one_blob(blobs, "r2 put")
        http_metadata = _string_map(arg(args, "httpMetadata", dict, default={}), "httpMetadata")
        unknown = sorted(set(http_metadata) - set(HTTP_METADATA_FIELDS))
        if unknown:
            raise invalid(f"unknown httpMetadata field(s) {unknown}; allowed: {', '.join(HTTP_METADATA_FIELDS)}")
        custom = _string_map(arg(args, "customMetadata", dict, default={}), "customMetadata")
        if sum(len(k.encode()) + len(v.encode()) for k, v in custom.items()) > CUSTOM_METADATA_MAX_BYTES:
            raise limit(f"customMetadata is more than {CUSTOM_METADATA_MAX_BYTES} bytes")
        row = (key, len(body), hashlib.md5(body).hexdigest(), self._clock(),
               json.dumps(http_metadata), json.dumps(custom))
        self._db.execute(
            f"INSERT OR REPLACE INTO r2 (bucket, {_META_COLUMNS}, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (bucket, *row, body),
        )
        return {"object": _object(row)}, []

    def delete(self, bucket, args, blobs):
        keys = arg(args, "keys", list, required=True)
        if len(keys) > DELETE_MAX_KEYS:
            raise limit(f"at most {DELETE_MAX_KEYS} keys can be deleted at once, got {len(keys)}")
        for key in keys:
            key_arg({"key": key}, KEY_MAX_BYTES)
        self._db.executemany("DELETE FROM r2 WHERE bucket = ? AND key = ?", [(bucket, k) for k in keys])
        return None, []

    def list(self, bucket, args, blobs):
        prefix = arg(args, "prefix", str, default="")
        count = list_limit(args)
        delimiter = arg(args, "delimiter", str)
        if delimiter == "":
            raise invalid("delimiter must not be empty")
        state = decode_cursor(args)
        rows = self._db.execute(
            f"""SELECT {_META_COLUMNS} FROM r2
                WHERE bucket = ? AND key > ? AND substr(key, 1, length(?)) = ? ORDER BY key""",
            (bucket, state.get("after", ""), prefix, prefix),
        )
        # With a delimiter, keys that contain it after the prefix collapse into
        # one "folder" entry; objects and folders together count toward limit.
        objects, prefixes, last, truncated = [], [], None, False
        group = state.get("group")
        for row in rows:
            key = row[0]
            if group and key.startswith(group):
                continue
            rest = key[len(prefix):]
            cut = rest.find(delimiter) if delimiter else -1
            if len(objects) + len(prefixes) == count:
                truncated = True
                break
            if cut >= 0:
                group = prefix + rest[: cut + len(delimiter)]
                prefixes.append(group)
                last = {"after": group, "group": group}
            else:
                objects.append(_object(row))
                last = {"after": key}
        meta = {"objects": objects, "truncated": truncated, "delimitedPrefixes": prefixes}
        if truncated:
            meta["cursor"] = encode_cursor(last)
        return meta, []


def _object(row):
    key, size, etag, uploaded, http_metadata, custom_metadata = row[:6]
    return {
        "key": key, "size": size, "etag": etag, "httpEtag": f'"{etag}"', "uploaded": iso_utc(uploaded),
        "httpMetadata": json.loads(http_metadata), "customMetadata": json.loads(custom_metadata),
    }


def _string_map(value, name):
    for k, v in value.items():
        if not isinstance(v, str):
            raise invalid(f"{name}[{k!r}] must be a string, got {json.dumps(v)}")
    return value
