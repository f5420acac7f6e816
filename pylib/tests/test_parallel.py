"""pymode.parallel on the native host: tasks run in subprocesses (one per task)."""

import json
import os
import sys
import textwrap
import time

import pytest

from pymode import _abi, _handler, _native, parallel

ENTRY = '''
import os, time
from pymode import parallel
from pymode.workers import Response

def square(x):
    return x * x

def pid_and_role(tag):
    return {"tag": tag, "pid": os.getpid(), "role": os.environ.get("PYMODE_ROLE")}

def boom(n):
    helper_that_raises(n)

def helper_that_raises(n):
    raise ValueError(f"bad input {n}")

class Unpicklable(Exception):
    def __init__(self, a, b):
        super().__init__(a)
        self.b = b

def raise_custom():
    raise Unpicklable("custom", 2)

def window(delay):
    start = time.time()
    time.sleep(delay)
    return (start, time.time())

def kv_write(key):
    from pymode.env import Env
    Env().MY_KV.put(key, "from-task")
    return key

def nested():
    return parallel.gather(parallel.spawn(square, 2))

def chatty():
    print("this goes to stderr, not into the result frames")
    return "quiet"

async def async_double(x):
    import asyncio
    await asyncio.sleep(0)
    return 2 * x

def on_fetch(request, env):
    n = int(request.query.get("n", ["4"])[0])
    tasks = [parallel.spawn(square, i) for i in range(n)]
    return Response.json({"squares": parallel.gather(*tasks)})
'''


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("PYMODE_BINDINGS", json.dumps({"MY_KV": {"type": "kv"}}))
    state = tmp_path / "state"
    host = _native.install(str(state), log_stream=None)
    src = tmp_path / "proj" / "src"
    src.mkdir(parents=True)
    (src / "entry.py").write_text(textwrap.dedent(ENTRY))
    _handler.load("src/entry.py", root=str(tmp_path / "proj"))
    yield sys.modules["src.entry"], host
    _handler._unload()
    _native.uninstall()


def serve(url):
    meta = {"method": "GET", "url": url, "headers": []}
    fields = _abi.decode_frames(_handler.handle(_abi.encode_frames(b"request", _abi.dump_json(meta), b"")))
    return json.loads(fields[0])["status"], fields[1]


def test_spawn_gather_runs_each_task_in_its_own_interpreter(app):
    m, _ = app
    tasks = [parallel.spawn(m.pid_and_role, i) for i in range(4)]
    assert all(not t.done for t in tasks)
    out = parallel.gather(*tasks)
    assert [o["tag"] for o in out] == [0, 1, 2, 3]
    assert {o["role"] for o in out} == {"thread"}
    pids = {o["pid"] for o in out}
    assert len(pids) == 4 and os.getpid() not in pids
    assert all(t.done for t in tasks)
    assert tasks[2].result()["tag"] == 2  # cached; does not run again


def test_gather_from_on_fetch(app):
    status, body = serve("https://w.example/?n=5")
    assert status == 200
    assert json.loads(body) == {"squares": [0, 1, 4, 9, 16]}


def test_kwargs_async_functions_and_map(app):
    m, _ = app
    assert parallel.gather(parallel.spawn(m.async_double, x=21)) == [42]
    assert parallel.map(m.square, [3, 4]) == [9, 16]
    assert parallel.spawn(m.chatty).result() == "quiet"


def test_upstream_pymodes_names_join_map_parallel_and_call_tuples(app):
    """Code written for upstream PyMode: spawn(...).join(), map_parallel, gather((fn, args)) (issue #19)."""
    m, _ = app
    assert parallel.spawn(m.square, 7).join() == 49
    assert parallel.map_parallel(m.square, [1, 2, 3], max_concurrent=2) == [1, 4, 9]
    assert parallel.gather((m.square, (5,)), (m.async_double, (), {"x": 4})) == [25, 8]
    assert parallel.gather((m.square, [6])) == [36]  # one call tuple is not a list of tasks


def test_task_error_reraised_with_traceback(app):
    m, _ = app
    ok, bad = parallel.spawn(m.square, 3), parallel.spawn(m.boom, 7)
    with pytest.raises(ValueError, match="bad input 7") as info:
        parallel.gather(ok, bad)
    assert ok.result() == 9
    cause = info.value.__cause__
    assert isinstance(cause, parallel.RemoteTraceback)
    assert "Traceback (most recent call last)" in cause.text
    assert "helper_that_raises" in cause.text and "ValueError: bad input 7" in cause.text
    assert info.value.remote_traceback == cause.text
    # return_exceptions hands the error back in place
    again = parallel.gather(parallel.spawn(m.boom, 1), parallel.spawn(m.square, 2), return_exceptions=True)
    assert isinstance(again[0], ValueError) and again[1] == 4


def test_unrebuildable_exception_becomes_task_error(app):
    m, _ = app
    with pytest.raises(parallel.TaskError, match="Unpicklable: custom") as info:
        parallel.spawn(m.raise_custom).result()
    assert "raise Unpicklable" in info.value.remote_traceback


def test_lambdas_closures_and_unpicklable_arguments_are_refused(app):
    m, _ = app
    with pytest.raises(TypeError, match="lambda"):
        parallel.spawn(lambda x: x, 1)

    def local(x):
        return x

    with pytest.raises(TypeError, match="nested function or closure"):
        parallel.spawn(local, 1)
    import threading

    with pytest.raises(TypeError, match="picklable"):
        parallel.spawn(m.square, threading.Lock())


def test_fan_out_limit(app):
    m, _ = app
    too_many = [parallel.spawn(m.square, i) for i in range(parallel.MAX_TASKS + 1)]
    with pytest.raises(parallel.FanOutLimitError, match="at most 64"):
        parallel.gather(*too_many)
    with pytest.raises(parallel.FanOutLimitError, match="limit must be"):
        parallel.gather(parallel.spawn(m.square, 1), limit=parallel.MAX_CONCURRENCY + 1)
    # the host enforces the same limit for callers that bypass the library
    payload = parallel.spawn(m.square, 1).payload
    with pytest.raises(_abi.HostError) as info:
        _abi.call("tasks", "", "run", {"tasks": [{}] * 65, "limit": 2}, *[payload] * 65)
    assert info.value.status == _abi.STATUS_LIMIT


def test_concurrency_limit_is_honoured(app):
    m, _ = app
    windows = parallel.gather(*[parallel.spawn(m.window, 0.4) for _ in range(4)], limit=2)
    events = sorted([(s, 1) for s, _ in windows] + [(e, -1) for _, e in windows], key=lambda x: (x[0], x[1]))
    running = peak = 0
    for _, delta in events:
        running += delta
        peak = max(peak, running)
    assert peak == 2


def test_tasks_share_the_state_dir_bindings(app):
    m, _ = app
    from pymode.env import Env

    assert parallel.spawn(m.kv_write, "k1").result() == "k1"
    assert Env().MY_KV.get("k1") == "from-task"


def test_no_nested_fan_out(app):
    m, _ = app
    with pytest.raises(RuntimeError, match="cannot spawn tasks"):
        parallel.spawn(m.nested).result()


def test_task_path_is_only_served_in_thread_role(app):
    m, _ = app
    body = parallel.spawn(m.square, 5).payload
    meta = {"method": "POST", "url": parallel.TASK_URL, "headers": []}
    frames = _abi.encode_frames(b"request", _abi.dump_json(meta), body)
    # role main: on_fetch answers (it does not unpickle the body)
    status = json.loads(_abi.decode_frames(_handler.handle(frames))[0])["status"]
    assert status == 200
    os.environ["PYMODE_ROLE"] = "thread"
    try:
        fields = _abi.decode_frames(_handler.handle(frames))
    finally:
        del os.environ["PYMODE_ROLE"]
    import pickle

    assert json.loads(fields[0])["headers"] == [["content-type", parallel.RESULT_CONTENT_TYPE]]
    assert pickle.loads(fields[1]) == {"ok": True, "value": 25}


def test_host_refusal_becomes_task_error(app, monkeypatch):
    m, host = app

    def refuse(kind, binding, request):
        raise _native.HostError(_abi.STATUS_NOT_SUPPORTED, _abi.encode_error("NOT_SUPPORTED", "the worker has no THREAD_DO binding"))

    monkeypatch.setattr(_native, "call", refuse)
    with pytest.raises(parallel.TaskError, match="no THREAD_DO binding"):
        parallel.spawn(m.square, 2).result()
