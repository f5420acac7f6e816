import pytest

from pymode import _abi, _native
from pymode.env import D1Error


@pytest.fixture
def db(env):
    db = env.DB
    db.exec("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, avatar BLOB, score REAL);")
    return db


def test_exec_counts_statements_and_ignores_semicolons_in_strings(db):
    result = db.exec("INSERT INTO users (name) VALUES ('a;b');\nINSERT INTO users (name) VALUES ('c');")
    assert result.count == 2 and result.duration >= 0
    assert [r["name"] for r in db.prepare("SELECT name FROM users ORDER BY id").all().results] == ["a;b", "c"]


def test_prepare_bind_run_all_first_raw(db):
    ins = db.prepare("INSERT INTO users (name, avatar, score) VALUES (?, ?, ?)")
    first = ins.bind("ada", b"\x00\x01\xff", 9.5).run()
    assert first.success and first.meta["changes"] == 1 and first.meta["last_row_id"] == 1
    assert ins.bind("bob", None, 3).run().meta["last_row_id"] == 2
    rows = db.prepare("SELECT id, name, avatar, score FROM users ORDER BY id").all()
    assert rows.results == [
        {"id": 1, "name": "ada", "avatar": b"\x00\x01\xff", "score": 9.5},
        {"id": 2, "name": "bob", "avatar": None, "score": 3.0},
    ]
    assert rows.meta["changes"] == 0 and "duration" in rows.meta
    stmt = db.prepare("SELECT name FROM users WHERE score > ?")
    assert stmt.bind(5).first() == {"name": "ada"}
    assert stmt.bind(5).first("name") == "ada"
    assert stmt.bind(100).first() is None
    with pytest.raises(D1Error, match="no column 'nope'"):
        stmt.bind(5).first("nope")
    assert db.prepare("SELECT id, name FROM users ORDER BY id").raw() == [[1, "ada"], [2, "bob"]]
    # bind returns a new statement; the original keeps its parameters.
    assert stmt.params == () and stmt.bind(1).params == (1,)


def test_bytes_cross_the_wire_as_base64(db, host):
    db.prepare("INSERT INTO users (name, avatar) VALUES (?, ?)").bind("x", b"\xde\xad").run()
    meta, _ = _abi.call("d1", "DB", "query", {"sql": "SELECT avatar FROM users", "params": [], "mode": "all"})
    assert meta["results"] == [{"avatar": {"$bytes": "3q0="}}]
    meta, _ = _abi.call("d1", "DB", "query", {"sql": "SELECT ? AS b", "params": [{"$bytes": "AAE="}], "mode": "raw"})
    assert meta["results"] == [[{"$bytes": "AAE="}]]


def test_batch_is_atomic(db):
    ins = db.prepare("INSERT INTO users (name) VALUES (?)")
    results = db.batch([ins.bind("a"), ins.bind("b"), db.prepare("SELECT count(*) AS n FROM users")])
    assert [r.meta["changes"] for r in results] == [1, 1, 0] and results[2].results == [{"n": 2}]
    with pytest.raises(D1Error, match="statement 1: UNIQUE constraint failed"):
        db.batch([ins.bind("c"), ins.bind("a")])
    assert db.prepare("SELECT count(*) AS n FROM users").first("n") == 2  # "c" was rolled back


def test_sql_errors_and_parameter_validation(db):
    with pytest.raises(D1Error) as info:
        db.prepare("SELECT * FROM nope").all()
    assert info.value.code == "D1_ERROR" and "no such table: nope" in str(info.value)
    with pytest.raises(D1Error, match="one statement at a time"):
        db.prepare("SELECT 1; SELECT 2").all()
    with pytest.raises(D1Error, match="Incorrect number of bindings"):
        db.prepare("SELECT ?").all()
    with pytest.raises(TypeError, match="D1 parameters must be None, bool, int, float, str or bytes, not dict"):
        db.prepare("SELECT ?").bind({"a": 1})
    assert db.prepare("SELECT ? AS t").bind(True).first("t") == 1


def test_databases_are_separate_sqlite_files(tmp_path, monkeypatch):
    import contextlib
    import sqlite3

    monkeypatch.setenv("PYMODE_BINDINGS", '{"A": {"type": "d1"}, "B": {"type": "d1"}}')
    _native.install(str(tmp_path), log_stream=None)
    try:
        _abi.call("d1", "A", "exec", {"sql": "CREATE TABLE t (x); INSERT INTO t VALUES (42)"})
        with pytest.raises(D1Error, match="no such table"):
            _abi.call("d1", "B", "query", {"sql": "SELECT * FROM t", "params": [], "mode": "all"})
        with contextlib.closing(sqlite3.connect(tmp_path / "d1" / "A.sqlite3")) as conn:
            assert conn.execute("SELECT x FROM t").fetchall() == [(42,)]
    finally:
        _native.uninstall()
