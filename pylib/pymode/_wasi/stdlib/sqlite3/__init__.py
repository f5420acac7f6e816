"""sqlite3 on python.wasm: SQLite is not built in; a worker's SQL database is a D1 binding (env.DB.prepare(...)).

`import sqlite3` works and its exception classes exist (so `except sqlite3.Error` clauses import); `connect`
raises OSError(ENOSYS) naming D1.
"""
from pymode._wasi import unavailable

apilevel, threadsafety, paramstyle = "2.0", 1, "qmark"
sqlite_version = "0.0.0"
sqlite_version_info = (0, 0, 0)
PARSE_DECLTYPES, PARSE_COLNAMES = 1, 2


class Warning(Exception):
    pass


class Error(Exception):
    pass


class InterfaceError(Error):
    pass


class DatabaseError(Error):
    pass


class DataError(DatabaseError):
    pass


class OperationalError(DatabaseError):
    pass


class IntegrityError(DatabaseError):
    pass


class InternalError(DatabaseError):
    pass


class ProgrammingError(DatabaseError):
    pass


class NotSupportedError(DatabaseError):
    pass


def connect(database, *args, **kwargs):
    raise unavailable("sqlite3.connect", "SQLite is not built into python.wasm; bind a D1 database "
                      "(spec.bindings.d1) and use env.DB.prepare(sql)")
