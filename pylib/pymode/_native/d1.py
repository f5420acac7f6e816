"""D1 databases as real SQLite files (docs/abi.md §3 D1)."""

import base64
import binascii
import os
import sqlite3
import time

from ._common import Fail, arg, invalid, open_sqlite
from .. import _abi

_MODES = ("all", "first", "run", "raw")


def _d1_error(exc, where=""):
    return Fail(_abi.STATUS_INVALID_ARGUMENT, "D1_ERROR", f"D1_ERROR: {where}{exc}")


def _param(value):
    if isinstance(value, dict):
        if set(value) != {"$bytes"} or not isinstance(value["$bytes"], str):
            raise invalid(f"object parameters must be {{\"$bytes\": base64}}, got {value!r}")
        try:
            return base64.b64decode(value["$bytes"], validate=True)
        except binascii.Error:
            raise invalid("a $bytes parameter is not valid base64") from None
    if isinstance(value, bool):
        return int(value)  # SQLite has no boolean type; D1 stores 1/0
    if value is None or isinstance(value, (int, float, str)):
        return value
    raise invalid(f"unsupported parameter {value!r}: use null, a number, a string or {{\"$bytes\": ...}}")


def _column(value):
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode("ascii")}
    return value


class D1Store:
    """One SQLite database per binding: `<dir>/<NAME>.sqlite3`, or in memory."""

    def __init__(self, directory):
        self._dir = directory
        self._dbs = {}

    def _db(self, name):
        if name not in self._dbs:
            path = ":memory:"
            if self._dir is not None:
                os.makedirs(self._dir, exist_ok=True)
                path = os.path.join(self._dir, f"{name}.sqlite3")
            self._dbs[name] = open_sqlite(path)
        return self._dbs[name]

    def close(self):
        for conn in self._dbs.values():
            conn.close()
        self._dbs.clear()

    def op(self, name, op, args, blobs):
        handler = {"query": self.query, "batch": self.batch, "exec": self.exec}.get(op)
        if handler is None:
            raise invalid(f"unknown D1 operation {op!r}")
        return handler(self._db(name), args), []

    def _run(self, conn, sql, params, mode):
        start = time.perf_counter()
        before = conn.total_changes
        cur = conn.execute(sql, [_param(p) for p in params])
        rows = cur.fetchall() if cur.description else []
        columns = [d[0] for d in cur.description or ()]
        if mode == "first":
            rows = rows[:1]
        if mode == "raw":
            results = [[_column(v) for v in row] for row in rows]
        else:
            results = [{c: _column(v) for c, v in zip(columns, row)} for row in rows]
        meta = {
            "changes": conn.total_changes - before,
            "last_row_id": conn.execute("SELECT last_insert_rowid()").fetchone()[0],
            "duration": round((time.perf_counter() - start) * 1000, 3),
        }
        return {"results": results, "success": True, "meta": meta}

    def _statement(self, args):
        sql = arg(args, "sql", str, required=True)
        params = arg(args, "params", list, default=[])
        return sql, params

    def query(self, conn, args):
        sql, params = self._statement(args)
        mode = arg(args, "mode", str, default="all")
        if mode not in _MODES:
            raise invalid(f"mode must be one of {', '.join(_MODES)}, got {mode!r}")
        try:
            return self._run(conn, sql, params, mode)
        except sqlite3.Error as exc:
            raise _d1_error(exc) from None

    def batch(self, conn, args):
        statements = arg(args, "statements", list, required=True)
        parsed = []
        for i, stmt in enumerate(statements):
            if not isinstance(stmt, dict):
                raise invalid(f"statement {i} must be an object with sql and params")
            parsed.append(self._statement(stmt))
        # A batch is one transaction: every statement applies, or none does.
        conn.execute("BEGIN")
        try:
            results = []
            for i, (sql, params) in enumerate(parsed):
                try:
                    results.append(self._run(conn, sql, params, "all"))
                except sqlite3.Error as exc:
                    raise _d1_error(exc, f"statement {i}: ") from None
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return results

    def exec(self, conn, args):
        sql = arg(args, "sql", str, required=True)
        start = time.perf_counter()
        count = 0
        try:
            for statement in _split_statements(sql):
                conn.execute(statement).fetchall()
                count += 1
        except sqlite3.Error as exc:
            raise _d1_error(exc, f"statement {count}: ") from None
        return {"count": count, "duration": round((time.perf_counter() - start) * 1000, 3)}


def _split_statements(sql):
    """Split on the `;` that end statements (not those inside strings or comments)."""
    pieces = sql.split(";")
    buf = ""
    for i, piece in enumerate(pieces):
        buf += piece
        if i < len(pieces) - 1:
            buf += ";"
            if not sqlite3.complete_statement(buf):
                continue
        if buf.strip(" \t\r\n;"):
            yield buf
        buf = ""
