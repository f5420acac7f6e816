import json
import textwrap

import pytest

from pymode import _abi, _handler
from pymode.workers import Headers

from design import DESIGN_EXAMPLE


@pytest.fixture
def project(tmp_path, host):
    """Write files into a project root; `load()` it; forget it afterwards."""

    def make(files, entry="src/entry.py"):
        for name, text in files.items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text))
        return _handler.load(entry, root=str(tmp_path))

    make.root = tmp_path
    yield make
    _handler._unload()


def frames(method="GET", url="http://example.com/", headers=(), body=b""):
    meta = {"method": method, "url": url, "headers": [list(h) for h in headers]}
    return _abi.encode_frames(b"request", _abi.dump_json(meta), body)


def serve(method="GET", url="http://example.com/", headers=(), body=b""):
    """Run one request through `handle` -> (status, Headers, body)."""
    fields = _abi.decode_frames(_handler.handle(frames(method, url, headers, body)))
    assert len(fields) == 2
    meta = json.loads(fields[0])
    return meta["status"], Headers(meta["headers"]), fields[1]


def error_logs(host):
    return "\n".join(message for level, message in host.logs if level == 40)


def test_design_example_end_to_end(project, env):
    project({"src/entry.py": DESIGN_EXAMPLE})
    env.MY_KV.put("key", {"items": [1, 2, 3]})
    status, headers, body = serve(url="https://w.example.com/api/data")
    assert (status, headers["content-type"], json.loads(body)) == (200, "application/json", {"items": [1, 2, 3]})
    assert serve(url="https://w.example.com/greet?name=Ada")[::2] == (200, b"Hello, Ada!")
    status, headers, body = serve(url="https://w.example.com/greet")
    assert (status, headers["content-type"], body) == (200, "text/plain; charset=utf-8", b"Hello, World!")
    assert serve(url="https://w.example.com/other")[::2] == (404, b"Not Found")


def test_request_fields_reach_the_handler(project):
    project({"src/entry.py": """
        from pymode.workers import Response
        def on_fetch(request, env):
            return Response.json({
                "method": request.method, "path": request.path, "query": request.query,
                "ua": request.headers.get("User-Agent"), "body": request.json(),
                "greeting": env.GREETING, "token_len": len(env.API_TOKEN),
            }, headers={"X-Handled": "yes"})
    """})
    status, headers, body = serve("POST", "http://h/submit?a=1&a=2", [("user-agent", "test/1")], b'{"n": 5}')
    assert status == 200 and headers["x-handled"] == "yes"
    assert json.loads(body) == {"method": "POST", "path": "/submit", "query": {"a": ["1", "2"]},
                                "ua": "test/1", "body": {"n": 5}, "greeting": "hello", "token_len": 12}


@pytest.mark.parametrize("returned, content_type, body", [
    ('"plain text"', "text/plain; charset=utf-8", b"plain text"),
    ('b"\\x00raw"', "application/octet-stream", b"\x00raw"),
    ('{"a": 1}', "application/json", b'{"a":1}'),
    ('[1, "two"]', "application/json", b'[1,"two"]'),
])
def test_return_values_are_normalised(project, returned, content_type, body):
    project({"src/entry.py": f"def on_fetch(request, env):\n    return {returned}\n"})
    status, headers, got = serve()
    assert (status, headers["content-type"], got) == (200, content_type, body)


def test_unsupported_return_value_is_a_logged_500(project, host):
    project({"src/entry.py": "def on_fetch(request, env):\n    return None\n"})
    assert serve()[::2] == (500, b"Internal Server Error: on_fetch returned NoneType; return a Response, str, bytes, dict or list")
    assert "on_fetch returned NoneType; return a Response, str, bytes, dict or list" in error_logs(host)


def test_async_handler_without_asyncio_run(project, monkeypatch):
    import asyncio

    def unavailable(*args, **kwargs):
        raise RuntimeError("no selector loop on WASI")

    # What python.wasm is like: asyncio imports, but its loops cannot be made.
    monkeypatch.setattr(asyncio, "run", unavailable)
    monkeypatch.setattr(asyncio, "new_event_loop", unavailable)
    project({"src/entry.py": """
        import asyncio
        from pymode.workers import Response

        async def double(x):
            await asyncio.sleep(0)
            return x * 2

        async def slow(x, delay):
            await asyncio.sleep(delay)
            return x

        async def on_fetch(request, env):
            a = await double(21)
            order = await asyncio.gather(slow("late", 0.03), slow("early", 0.01))
            task = asyncio.create_task(double(5))
            timed = await asyncio.wait_for(slow("in time", 0), timeout=1)
            env.MY_KV.put("async", "yes")
            return Response.json({"a": a, "order": order, "task": await task, "timed": timed,
                                  "kv": env.MY_KV.get("async")})
    """})
    status, _, body = serve()
    assert status == 200
    assert json.loads(body) == {"a": 42, "order": ["late", "early"], "task": 10, "timed": "in time", "kv": "yes"}


def test_background_tasks_are_cancelled_when_the_handler_returns(project):
    import time

    project({"src/entry.py": """
        import asyncio
        STATE = {}

        async def forever():
            try:
                await asyncio.sleep(30)
            except asyncio.CancelledError:
                STATE["cancelled"] = True
                raise

        async def on_fetch(request, env):
            if request.path == "/check":
                return STATE
            asyncio.create_task(forever())
            await asyncio.sleep(0)
            return "started"
    """})
    started = time.monotonic()
    assert serve(url="http://h/start")[::2] == (200, b"started")
    assert time.monotonic() - started < 5
    assert serve(url="http://h/check")[::2] == (200, b'{"cancelled":true}')


def test_async_handler_waiting_forever_fails_clearly(project, host):
    project({"src/entry.py": """
        import asyncio
        async def on_fetch(request, env):
            await asyncio.get_running_loop().create_future()
    """})
    status, _, body = serve()
    assert status == 500 and body.startswith(b"Internal Server Error: uncaught ")
    assert "can never complete" in error_logs(host)
    import gc

    gc.collect()  # a stalled task must have been cancelled, not left to die pending
    assert not [m for _, m in host.logs if "destroyed but it is pending" in m]


def test_handler_exception_is_a_500_with_the_traceback_only_in_the_log(project, host):
    project({"src/entry.py": """
        def on_fetch(request, env):
            secret_detail = "internal-path-/srv/db"
            return 1 / 0
    """})
    status, headers, body = serve(url="http://h/boom")
    # The type is a safe one-line reason; the message and traceback may hold secrets.
    assert (status, body) == (500, b"Internal Server Error: uncaught ZeroDivisionError")
    assert b"division by zero" not in body and b"Traceback" not in body
    logged = error_logs(host)
    assert "on_fetch failed for GET http://h/boom" in logged
    assert "Traceback (most recent call last)" in logged and "ZeroDivisionError: division by zero" in logged
    assert "entry.py" in logged


def test_missing_on_fetch(project, host):
    with pytest.raises(_handler.LoadError, match=r"entry 'src/entry.py' \(module src.entry\) defines no handler"):
        project({"src/entry.py": "def handle(request, env):\n    return 'x'\n"})
    assert serve()[::2] == (500, b"Internal Server Error")
    assert ("no handler: entry 'src/entry.py' (module src.entry) defines no handler: on_fetch(request, env), "
            "fetch(request, env) or class Default(WorkerEntrypoint) with fetch(self, request)") in error_logs(host)


def test_import_error_names_the_entry_and_the_error(project, host):
    with pytest.raises(_handler.LoadError) as info:
        project({"src/entry.py": "import not_a_real_package_xyz\ndef on_fetch(r, e):\n    return 'x'\n"})
    message = "cannot import entry 'src/entry.py': ModuleNotFoundError: No module named 'not_a_real_package_xyz'"
    assert str(info.value) == message
    assert isinstance(info.value, ImportError)
    assert message in error_logs(host) and "Traceback" in error_logs(host)
    assert serve()[::2] == (500, b"Internal Server Error")


def test_syntax_error_and_missing_file(project, host):
    with pytest.raises(_handler.LoadError, match="cannot import entry 'src/entry.py': SyntaxError"):
        project({"src/entry.py": "def on_fetch(:\n"})
    with pytest.raises(_handler.LoadError, match=r"entry file .*src/nope\.py does not exist"):
        project({}, entry="src/nope.py")


def test_sibling_root_and_relative_imports(project):
    project({
        "src/helpers.py": "def shout(s):\n    return s.upper()\n",
        "src/utils.py": "SUFFIX = '!'\n",
        "lib/fmt.py": "def wrap(s):\n    return f'[{s}]'\n",
        "src/entry.py": """
            from helpers import shout          # a sibling of the entry
            from src.utils import SUFFIX       # from the project root
            from lib.fmt import wrap           # another root package
            from . import utils                # relative to the entry's package
            def on_fetch(request, env):
                return wrap(shout("hi") + SUFFIX + utils.SUFFIX)
        """,
    })
    assert serve()[::2] == (200, b"[HI!!]")


def test_entry_comes_from_pymode_entry_and_reload_replaces_the_project(project, monkeypatch, tmp_path):
    monkeypatch.setenv("PYMODE_ENTRY", "app/main.py")
    project({"app/main.py": "from helper import V\ndef on_fetch(r, e):\n    return V\n",
             "app/helper.py": "V = 'one'\n"}, entry=None)
    assert serve()[::2] == (200, b"one")
    (tmp_path / "app" / "helper.py").write_text("V = 'two'\n")
    _handler.load(root=str(tmp_path))  # what the dev server does on a change
    assert serve()[::2] == (200, b"two")


def test_warmup(project):
    project({"src/entry.py": "def on_fetch(r, e):\n    raise AssertionError('must not run')\n"})
    assert _handler.warmup() is True
    status, _, body = serve(headers=[("X-PyMode-Warmup", "1")])
    assert (status, body) == (204, b"")


def test_lazy_load_on_first_request(host, tmp_path, monkeypatch):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "entry.py").write_text("def on_fetch(r, e):\n    return 'lazy'\n")
    monkeypatch.setattr(_handler, "DEFAULT_ROOT", str(tmp_path))
    monkeypatch.delenv("PYMODE_ENTRY", raising=False)
    _handler._unload()
    try:
        assert serve()[::2] == (200, b"lazy")
    finally:
        _handler._unload()


def test_invalid_json_body_is_a_catchable_json_decode_error(project):
    project({"src/entry.py": """
        import json
        def on_fetch(request, env):
            try:
                return request.json()
            except json.JSONDecodeError as exc:
                return f"caught {type(exc).__name__} at {exc.pos}: {exc.msg}"
    """})
    assert serve(method="POST", body=b"{nope")[::2] == (200, b"caught JSONDecodeError at 1: request body is not valid JSON: Expecting property name enclosed in double quotes")


def test_uncaught_invalid_json_is_a_500_naming_the_error(project):
    project({"src/entry.py": "def on_fetch(request, env):\n    return request.json()\n"})
    assert serve(method="POST", body=b"{nope")[::2] == (500, b"Internal Server Error: uncaught JSONDecodeError")


def test_malformed_request_frames(project, host):
    project({"src/entry.py": "def on_fetch(r, e):\n    return 'x'\n"})
    fields = _abi.decode_frames(_handler.handle(b"\x09\x00\x00\x00abc"))
    assert json.loads(fields[0])["status"] == 500 and fields[1] == b"Internal Server Error"
    assert "malformed request frames" in error_logs(host)
