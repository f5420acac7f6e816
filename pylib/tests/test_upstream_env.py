"""Upstream PyMode's `pymode.env` static helpers (KV, R2, D1, get_env, console_log) and its R2 `get` returning
bytes, for entries written for upstream; pymode's own handlers keep R2 objects. Native host, through the
handler as a request would run it."""

import json
import textwrap

import pytest

from pymode import _abi, _handler, _native

BINDINGS = {
    "KV": {"type": "kv"}, "CACHE_KV": {"type": "kv"}, "R2": {"type": "r2"}, "FILES_R2": {"type": "r2"},
    "D1": {"type": "d1"}, "API_KEY": {"type": "secret", "value": "k-123"}, "MODE": {"type": "var", "value": "dev"},
}


@pytest.fixture
def host(monkeypatch):
    monkeypatch.setenv("PYMODE_BINDINGS", json.dumps(BINDINGS))
    native = _native.install(None, log_stream=None)
    yield native
    _native.uninstall()


@pytest.fixture
def load(tmp_path, host):
    def make(text):
        (tmp_path / "src").mkdir(exist_ok=True)
        (tmp_path / "src" / "entry.py").write_text(textwrap.dedent(text))
        _handler.load("src/entry.py", root=str(tmp_path))
    yield make
    _handler._unload()


def get(path):
    meta = {"method": "GET", "url": "https://w.example" + path, "headers": []}
    fields = _abi.decode_frames(_handler.handle(_abi.encode_frames(b"request", _abi.dump_json(meta), b"")))
    return json.loads(fields[0])["status"], fields[1]


def test_static_helpers_in_upstreams_style(load):
    load('''
        import json
        from pymode.env import KV, R2, D1, get_env, console_log
        from pymode.workers import Response

        def on_fetch(request, env):
            KV.put("greeting", "hello")
            KV.put("CACHE_KV\\0greeting", b"cached")
            KV.multi_put([("a", b"1"), ("b", "2")])
            R2.put("file.bin", b"\\x00\\x01")
            R2.put("FILES_R2\\0doc.txt", "text")
            D1.execute("CREATE TABLE users (id INTEGER, name TEXT)")
            D1.batch([{"sql": "INSERT INTO users VALUES (?, ?)", "params": [1, "Ada"]},
                      {"sql": "INSERT INTO users VALUES (?, ?)", "params": [2, "Lin"]}])
            rows = D1.execute("SELECT name FROM users WHERE id > ?", [0])
            KV.delete("b")
            console_log("static helpers ran")
            return Response.json({
                "kv": KV.get("greeting").decode(), "cache": env.CACHE_KV.get("greeting"),
                "multi": [v and v.decode() for v in KV.multi_get(["a", "b", "missing"])],
                "r2": list(R2.get("file.bin")), "files": R2.get("FILES_R2\\0doc.txt").decode(),
                "r2_missing": R2.get("nope"), "rows": rows,
                "batch": D1.batch([{"sql": "SELECT count(*) AS n FROM users"}, {"sql": "SELECT 1 AS one"}]),
                "api_key": get_env("API_KEY"), "mode": get_env("MODE"), "unset": get_env("NOPE"),
                "not_a_var": get_env("KV"),
            })
    ''')
    status, body = get("/")
    assert status == 200, body
    assert json.loads(body) == {
        "kv": "hello", "cache": "cached", "multi": ["1", None, None], "r2": [0, 1], "files": "text",
        "r2_missing": None, "rows": [{"name": "Ada"}, {"name": "Lin"}], "batch": [[{"n": 2}], [{"one": 1}]],
        "api_key": "k-123", "mode": "dev", "unset": None, "not_a_var": None,
    }
    assert (20, "static helpers ran") in _native._current().logs


def test_static_helpers_refuse_bad_input_clearly(host):
    from pymode.env import D1, KV, R2

    with pytest.raises(LookupError, match=r"no KV binding named 'OTHER' \(declared KV bindings: CACHE_KV, KV\)"):
        KV.get("OTHER\0k")
    with pytest.raises(TypeError, match="binding 'FILES_R2' is not a KV binding"):
        KV.get("FILES_R2\0k")
    with pytest.raises(TypeError, match="KV value for 'k' must be bytes or str, not dict"):
        KV.put("k", {"a": 1})
    with pytest.raises(TypeError, match="R2 value .* must be bytes or str, not int"):
        R2.put("k", 5)
    with pytest.raises(TypeError, match="params must be a list"):
        D1.execute("SELECT ?", 5)
    with pytest.raises(ValueError, match="one database; these queries name D1, OTHER"):
        D1.batch([{"sql": "SELECT 1"}, {"sql": "SELECT 2", "binding": "OTHER"}])
    with pytest.raises(TypeError, match="each batch query must be a dict"):
        D1.batch(["SELECT 1"])


R2_HANDLER = '''
    {imports}
    def {name}(request, env):
        env.FILES_R2.put("a.txt", "abc")
        got = env.FILES_R2.get("a.txt")
        missing = env.FILES_R2.get("nope")
        return {{"type": type(got).__name__, "value": got.decode() if isinstance(got, bytes) else got.text(),
                 "missing": missing, "head": env.FILES_R2.head("a.txt").size}}
'''


@pytest.mark.parametrize("imports, name, upstream", [
    ("", "fetch", True),                                   # upstream's handler name
    ("from pymode.workers import Env", "on_fetch", True),  # upstream's Env import
    ("from pymode.env import R2", "on_fetch", True),       # upstream's static helpers
    ("from pymode.workers import Response", "on_fetch", False),  # pymode's own: R2 objects
    ("from pymode.env import Env", "on_fetch", False),
])
def test_r2_get_returns_bytes_for_entries_written_for_upstream(load, imports, name, upstream):
    load(R2_HANDLER.format(imports=imports, name=name))
    status, body = get("/")
    assert status == 200, body
    out = json.loads(body)
    assert out == {"type": "bytes" if upstream else "R2Object", "value": "abc", "missing": None, "head": 3}


def test_upstream_workflow_steps_get_upstreams_env(load):
    load('''
        from pymode.workflows import Workflow
        from pymode.workers import Env

        workflow = Workflow("blobs")

        @workflow.step
        def read(ctx):
            ctx.env.FILES_R2.put("in.txt", "payload")
            return {"type": type(ctx.env.FILES_R2.get("in.txt")).__name__}

        def on_fetch(request, env):
            return "ok"
    ''')
    meta = {"method": "POST", "url": "https://w.example/workflow/run", "headers": []}
    fields = _abi.decode_frames(_handler.handle(_abi.encode_frames(b"request", _abi.dump_json(meta), b'{"input": {}}')))
    assert json.loads(fields[1])["results"] == {"read": {"type": "bytes"}}


def test_upstream_env_constructor_takes_plain_string_vars(host):
    from pymode.env import Env
    from pymode.workers import Env as UpstreamEnv

    env = UpstreamEnv({"API_KEY": "k", "FILES_R2": {"type": "r2"}})
    assert env.API_KEY == "k" and isinstance(env, Env)
    env.FILES_R2.put("x", b"1")
    assert env.FILES_R2.get("x") == b"1"
    assert Env({"FILES_R2": {"type": "r2"}}).FILES_R2.get("x").body == b"1"
    with pytest.raises(ValueError, match="needs a type"):
        Env({"API_KEY": "k"})  # pymode's own Env keeps its description format


def test_upstreams_binding_methods(load):
    load('''
        def fetch(request, env):
            env.CACHE_KV.put_multi({"a": "1", "b": "2"})
            env.CACHE_KV.put_multi([("c", "3")])
            env.D1.prepare("CREATE TABLE t (n INTEGER)").run()
            batch = env.D1.batch([env.D1.prepare("INSERT INTO t VALUES (?)").bind(5),
                                  env.D1.prepare("SELECT n FROM t")])
            result = env.D1.prepare("SELECT n FROM t").all()
            return {"multi": env.CACHE_KV.get_multi(["a", "c", "missing"]), "batch": batch,
                    "get": result.get("results", []), "absent": result.get("rows", "none")}
    ''')
    status, body = get("/")
    assert status == 200, body
    assert json.loads(body) == {"multi": {"a": "1", "c": "3"}, "batch": [[], [{"n": 5}]], "get": [{"n": 5}],
                                "absent": "none"}


def test_pymodes_own_d1_batch_keeps_its_results(host):
    from pymode.env import D1Result, Env

    db = Env().D1
    db.exec("CREATE TABLE t (n INTEGER)")
    assert all(isinstance(r, D1Result) for r in db.batch([db.prepare("SELECT 1 AS one")]))
