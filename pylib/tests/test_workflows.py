"""pymode.workflows on the native host, through `_handler.handle` frames."""

import json
import os
import subprocess
import sys
import textwrap
import time

import pytest

from pymode import _abi, _handler, _native, workflows

ENTRY = '''
import json, os, time
from pymode.workflows import Workflow
from pymode.workers import Response

def mark(ctx, name):
    """Append one line per execution to <input.dir>/<name>.log."""
    with open(os.path.join(ctx.input["dir"], name + ".log"), "a") as f:
        f.write(f"{time.time()} {ctx.attempt}\\n")

def count(ctx, name):
    path = os.path.join(ctx.input["dir"], name + ".log")
    if not os.path.exists(path):
        return 0
    with open(path) as f:
        return len(f.read().splitlines())

orders = Workflow("orders")

@orders.step
def validate(ctx):
    mark(ctx, "validate")
    return {"total": sum(ctx.input["prices"])}

@orders.step(retries=2, backoff=0.2)
def charge(ctx):
    mark(ctx, "charge")
    if count(ctx, "charge") <= ctx.input.get("charge_failures", 0):
        raise ConnectionError("payment gateway timeout")
    if ctx.input.get("crash_in_charge") and not os.path.exists(os.path.join(ctx.input["dir"], "crashed")):
        open(os.path.join(ctx.input["dir"], "crashed"), "w").close()
        os._exit(17)  # the process dies mid-step, as an evicted Durable Object would
    return {"charged": ctx.results["validate"]["total"]}

@orders.step
def ship(ctx):
    mark(ctx, "ship")
    return {"tracking": "T-" + str(ctx.results["charge"]["charged"])}

doomed = Workflow("doomed", retries=1, backoff=0.05)

@doomed.step
def always_fails(ctx):
    raise RuntimeError("nope")

@doomed.step
def never_reached(ctx):
    return 1

def on_fetch(request, env):
    return Response("on_fetch:" + request.path)
'''

NO_WORKFLOWS = '''
def on_fetch(request, env):
    return "on_fetch:" + request.path
'''


def write_project(root, text):
    src = root / "src"
    src.mkdir(parents=True, exist_ok=True)
    (src / "entry.py").write_text(textwrap.dedent(text))


@pytest.fixture
def app(tmp_path):
    state = tmp_path / "state"
    proj = tmp_path / "proj"
    write_project(proj, ENTRY)
    logs = tmp_path / "logs"
    logs.mkdir()
    host = _native.install(str(state), bindings={}, log_stream=None)
    _handler.load("src/entry.py", root=str(proj))
    app = type("App", (), {"state": state, "proj": proj, "logs": logs, "host": host})
    yield app
    _handler._unload()
    _native.uninstall()


def call(method, path, body=None):
    meta = {"method": method, "url": "https://w.example" + path, "headers": []}
    raw = b"" if body is None else json.dumps(body).encode()
    fields = _abi.decode_frames(_handler.handle(_abi.encode_frames(b"request", _abi.dump_json(meta), raw)))
    status = json.loads(fields[0])["status"]
    try:
        return status, json.loads(fields[1])
    except ValueError:
        return status, fields[1].decode()


def executions(app, name):
    path = app.logs / f"{name}.log"
    if not path.exists():
        return []
    return [(float(t), int(a)) for t, a in (line.split() for line in path.read_text().splitlines())]


def test_run_and_status(app):
    status, out = call("POST", "/workflow/run", {"workflow": "orders", "id": "o-1",
                                                  "input": {"dir": str(app.logs), "prices": [2, 3]}})
    assert (status, out) == (200, {"id": "o-1", "state": "completed"})
    status, doc = call("GET", "/workflow/status?id=o-1")
    assert status == 200
    assert doc["id"] == "o-1" and doc["workflow"] == "orders" and doc["state"] == "completed"
    assert [(s["name"], s["state"], s["attempts"], s["result"]) for s in doc["steps"]] == [
        ("validate", "completed", 1, {"total": 5}),
        ("charge", "completed", 1, {"charged": 5}),
        ("ship", "completed", 1, {"tracking": "T-5"}),
    ]
    assert "error" not in doc


def test_step_fails_twice_then_succeeds_with_backoff(app):
    started = time.time()
    status, out = call("POST", "/workflow/run", {"workflow": "orders", "id": "o-2", "input": {
        "dir": str(app.logs), "prices": [1], "charge_failures": 2}})
    assert (status, out["state"]) == (200, "completed")
    attempts = executions(app, "charge")
    assert [a for _, a in attempts] == [1, 2, 3]
    gaps = [attempts[1][0] - attempts[0][0], attempts[2][0] - attempts[1][0]]
    # backoff 0.2 s, doubled: 0.2 then 0.4 (tolerance: scheduling and process noise)
    assert 0.2 <= gaps[0] < 0.2 + 0.25, gaps
    assert 0.4 <= gaps[1] < 0.4 + 0.25, gaps
    assert time.time() - started >= 0.6
    doc = call("GET", "/workflow/status?id=o-2")[1]
    charge = doc["steps"][1]
    assert (charge["state"], charge["attempts"], charge["result"]) == ("completed", 3, {"charged": 1})
    assert len(executions(app, "validate")) == 1 and len(executions(app, "ship")) == 1
    errors = "\n".join(m for level, m in app.host.logs if level == 40)
    assert "ConnectionError: payment gateway timeout" in errors


def test_retries_exhausted_fails_the_run(app):
    status, out = call("POST", "/workflow/run", {"workflow": "doomed", "id": "d-1", "input": None})
    assert (status, out["state"]) == (200, "failed")
    doc = call("GET", "/workflow/status?id=d-1")[1]
    assert doc["steps"][0] == {"name": "always_fails", "state": "failed", "attempts": 2, "error": "RuntimeError: nope"}
    assert doc["steps"][1] == {"name": "never_reached", "state": "pending", "attempts": 0}
    assert doc["error"] == "step always_fails failed after 2 attempt(s): RuntimeError: nope"
    # a failed run stays failed: running it again (same id) does not execute anything
    assert call("POST", "/workflow/run", {"workflow": "doomed", "id": "d-1", "input": None})[1]["state"] == "failed"


def test_eviction_mid_step_resumes_without_rerunning_finished_steps(app):
    """A process runs the workflow and dies inside `charge`; a new handler instance
    over the same storage resumes at `charge`, never re-running `validate`."""
    body = {"workflow": "orders", "id": "o-3", "input": {"dir": str(app.logs), "prices": [4], "crash_in_charge": True}}
    script = textwrap.dedent(f"""
        import json, sys
        from pymode import _native, _handler, _abi
        _native.install({str(app.state)!r}, bindings={{}}, log_stream=None)
        _handler.load("src/entry.py", root={str(app.proj)!r})
        meta = {{"method": "POST", "url": "https://w.example/workflow/run", "headers": []}}
        _handler.handle(_abi.encode_frames(b"request", _abi.dump_json(meta), json.dumps({body!r}).encode()))
        print("not reached: the step exits the process")
    """)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 17, proc.stderr
    assert len(executions(app, "validate")) == 1 and len(executions(app, "charge")) == 1

    # The dead process left the step persisted as running.
    doc = call("GET", "/workflow/status?id=o-3")[1]
    assert doc["state"] == "running"
    assert [(s["name"], s["state"], s["attempts"]) for s in doc["steps"]] == [
        ("validate", "completed", 1), ("charge", "running", 1), ("ship", "pending", 0)]

    # A new handler instance (fresh interpreter state), same storage.
    _handler._unload()
    _handler.load("src/entry.py", root=str(app.proj))
    status, out = call("POST", "/workflow/resume", {"id": "o-3"})
    assert (status, out) == (200, {"id": "o-3", "state": "completed"})
    assert len(executions(app, "validate")) == 1  # finished steps are never re-run
    assert [a for _, a in executions(app, "charge")] == [1, 2]  # the interrupted attempt counted
    doc = call("GET", "/workflow/status?id=o-3")[1]
    assert doc["steps"][0]["result"] == {"total": 4}
    assert doc["steps"][1] == {"name": "charge", "state": "completed", "attempts": 2, "result": {"charged": 4}}
    assert doc["steps"][2]["result"] == {"tracking": "T-4"}


def test_run_is_idempotent_on_its_id(app):
    body = {"workflow": "orders", "id": "o-4", "input": {"dir": str(app.logs), "prices": [1, 1]}}
    assert call("POST", "/workflow/run", body) == (200, {"id": "o-4", "state": "completed"})
    assert call("POST", "/workflow/run", body) == (200, {"id": "o-4", "state": "completed"})
    assert len(executions(app, "validate")) == 1 and len(executions(app, "ship")) == 1
    status, out = call("POST", "/workflow/run", {**body, "input": {"dir": str(app.logs), "prices": [9]}})
    assert status == 409 and "different input" in out["error"]
    status, out = call("POST", "/workflow/run", {**body, "workflow": "doomed"})
    assert status == 409 and "belongs to workflow 'orders'" in out["error"]


def test_generated_ids_and_request_errors(app):
    status, out = call("POST", "/workflow/run", {"workflow": "doomed"})
    assert status == 200 and len(out["id"]) == 32 and out["state"] == "failed"
    assert call("POST", "/workflow/run", {"workflow": "nope"})[0] == 404
    assert "defined: doomed, orders" in call("POST", "/workflow/run", {"workflow": "nope"})[1]["error"]
    assert call("GET", "/workflow/status?id=missing")[0] == 404
    assert call("GET", "/workflow/status")[0] == 400
    assert call("GET", "/workflow/run")[0] == 405
    assert call("POST", "/workflow/resume", {"id": "missing"})[0] == 404
    assert call("POST", "/workflow/run", {"workflow": "orders", "id": "bad id!"})[0] == 400
    long_id = "a" * 253 + "-1795600000"  # the operator's ids: <resource name>-<epoch seconds>
    assert call("POST", "/workflow/run", {"workflow": "doomed", "id": long_id})[1] == {"id": long_id, "state": "failed"}
    # other paths still reach on_fetch
    assert call("GET", "/workflow/other") == (200, "on_fetch:/workflow/other")


def test_host_alarm_mode_waits_and_resumes_on_alarm(app, monkeypatch):
    """On a Durable Object the host wakes the worker (alarm) instead of Python sleeping."""
    requested = []

    def alarm(self, at):
        requested.append(at)
        return True

    monkeypatch.setattr(workflows._Store, "alarm", alarm)
    body = {"workflow": "orders", "id": "o-5", "input": {"dir": str(app.logs), "prices": [7], "charge_failures": 1}}
    t0 = time.time()
    assert call("POST", "/workflow/run", body) == (200, {"id": "o-5", "state": "waiting"})
    t1 = time.time()
    assert t1 - t0 < 0.2 + 0.3  # returned before the retry, no sleeping in the request
    doc = call("GET", "/workflow/status?id=o-5")[1]
    assert doc["state"] == "waiting" and doc["steps"][1]["state"] == "waiting"
    assert t0 + 0.2 <= doc["not_before"] <= t1 + 0.2
    assert requested[-1] == doc["not_before"]
    # an early alarm (e.g. the lease alarm) resumes nothing that is not due
    assert call("POST", "/__pymode/alarm") == (200, {"resumed": []})
    assert len(executions(app, "charge")) == 1
    time.sleep(max(0.0, doc["not_before"] - time.time()) + 0.01)
    assert call("POST", "/__pymode/alarm") == (200, {"resumed": ["o-5"]})
    doc = call("GET", "/workflow/status?id=o-5")[1]
    assert doc["state"] == "completed" and doc["steps"][1]["attempts"] == 2
    assert len(executions(app, "validate")) == 1


def test_without_workflows_the_paths_belong_to_on_fetch(tmp_path):
    write_project(tmp_path, NO_WORKFLOWS)
    _native.install(None, bindings={}, log_stream=None)
    try:
        _handler.load("src/entry.py", root=str(tmp_path))
        assert call("POST", "/workflow/run", {"workflow": "x"}) == (200, "on_fetch:/workflow/run")
        assert call("POST", "/__pymode/alarm")[0] == 204
    finally:
        _handler._unload()
        _native.uninstall()


def test_definition_errors():
    wf = workflows.Workflow("defs-test")
    try:
        with pytest.raises(ValueError, match="already defined"):
            workflows.Workflow("defs-test")
        with pytest.raises(ValueError, match="retries must be"):
            wf.step(retries=-1)(lambda ctx: None)

        @wf.step
        def one(ctx):
            return 1

        with pytest.raises(ValueError, match="already has a step named 'one'"):
            wf.step(one)
        with pytest.raises(ValueError, match="workflow name"):
            workflows.Workflow("bad name")
        with pytest.raises(ValueError, match="factor must be"):
            wf.step(factor=0.5)(lambda ctx: None)
        fast = workflows.Workflow("defs-factor", backoff=0.5, factor=3)

        @fast.step(retries=3)
        def three(ctx):
            return 3

        policy = fast.steps[0].policy(fast._defaults())
        assert policy == (3, 0.5, 3.0)
        assert [fast.steps[0].delay(k, policy) for k in (1, 2, 3)] == [0.5, 1.5, 4.5]
    finally:
        workflows._clear_registry()


def test_storage_binding_semantics(app):
    """The reserved binding is this worker's Durable Object storage: KV op shapes,
    no expiration, a 128 KiB value limit, and the alarm op."""
    k = workflows.STORAGE_KIND
    _abi.call(k, "", "put", {"key": "a"}, b"1")
    assert _abi.call(k, "", "get", {"key": "a"}) == ({"found": True}, [b"1"])
    assert _abi.call(k, "", "list", {"prefix": ""})[0]["keys"] == [{"name": "a"}]
    with pytest.raises(_abi.HostError) as info:
        _abi.call(k, "", "put", {"key": "t", "expirationTtl": 60}, b"1")
    assert info.value.status == _abi.STATUS_NOT_SUPPORTED
    with pytest.raises(_abi.HostError) as info:
        _abi.call(k, "X", "get", {"key": "a"})
    assert info.value.status == _abi.STATUS_INVALID_ARGUMENT
    with pytest.raises(_abi.HostError) as info:
        _abi.call(k, "", "put", {"key": "big"}, b"x" * (128 * 1024 + 1))
    assert info.value.status == _abi.STATUS_LIMIT
    assert _abi.call(k, "", "alarm", {"at": time.time() + 5}) == ({"alarm": False}, [])
    assert app.host.storage.alarm_at is not None


def test_runs_listing_newest_first(app):
    for i in range(3):
        call("POST", "/workflow/run", {"workflow": "orders", "id": f"list-{i}", "input": {"dir": str(app.logs), "prices": [i]}})
        time.sleep(0.01)
    call("POST", "/workflow/run", {"workflow": "doomed", "id": "list-d", "input": None})
    status, out = call("GET", "/workflow/runs?workflow=orders&limit=2")
    assert status == 200
    assert [(r["id"], r["state"]) for r in out["runs"]] == [("list-2", "completed"), ("list-1", "completed")]
    assert out["runs"][0]["steps"][2]["result"] == {"tracking": "T-2"}
    assert [r["id"] for r in call("GET", "/workflow/runs")[1]["runs"]] == ["list-d", "list-2", "list-1", "list-0"]
    assert call("GET", "/workflow/runs?limit=0")[0] == 400
    assert call("POST", "/workflow/runs")[0] == 405


def test_bearer_token_when_configured(app, monkeypatch):
    monkeypatch.setenv("PYMODE_BINDINGS", json.dumps({"PYMODE_WORKFLOW_TOKEN": {"type": "secret", "value": "s3cret"}}))

    def with_auth(method, path, body=None, auth=None):
        meta = {"method": method, "url": "https://w.example" + path,
                "headers": [["authorization", auth]] if auth else []}
        raw = b"" if body is None else json.dumps(body).encode()
        fields = _abi.decode_frames(_handler.handle(_abi.encode_frames(b"request", _abi.dump_json(meta), raw)))
        return json.loads(fields[0])["status"], json.loads(fields[1])

    body = {"workflow": "doomed", "id": "auth-1"}
    status, out = with_auth("POST", "/workflow/run", body)
    assert status == 401 and "bearer token" in out["error"]
    assert with_auth("POST", "/workflow/run", body, "Bearer wrong")[0] == 401
    assert with_auth("GET", "/workflow/runs", auth="Basic czNjcmV0")[0] == 401
    assert with_auth("POST", "/workflow/run", body, "Bearer s3cret") == (200, {"id": "auth-1", "state": "failed"})
    assert with_auth("GET", "/workflow/status?id=auth-1", auth="Bearer s3cret")[0] == 200
    # the host's alarm route needs no token (clients cannot reach /__pymode/* on the edge)
    assert with_auth("POST", "/__pymode/alarm")[0] == 200


def _waiting_alarms(monkeypatch):
    """Durable Object mode: a failed attempt leaves the run waiting for an alarm."""
    monkeypatch.setattr(workflows._Store, "alarm", lambda self, at: True)


def test_concurrency_forbid_skips_while_a_run_is_unfinished(app, monkeypatch):
    _waiting_alarms(monkeypatch)
    first = {"workflow": "orders", "id": "c-1", "input": {"dir": str(app.logs), "prices": [1], "charge_failures": 1}}
    assert call("POST", "/workflow/run", first)[1]["state"] == "waiting"
    second = {"workflow": "orders", "id": "c-2", "concurrency": "Forbid", "input": {"dir": str(app.logs), "prices": [2]}}
    status, out = call("POST", "/workflow/run", second)
    assert (status, out["id"], out["state"]) == (200, "c-2", "skipped")
    assert "c-1 has not finished" in out["reason"]
    assert call("GET", "/workflow/status?id=c-2")[0] == 404  # a skipped firing leaves no run
    # another workflow's runs do not count, and Allow starts alongside
    assert call("POST", "/workflow/run", {"workflow": "doomed", "id": "c-3", "concurrency": "Forbid"})[1]["state"] == "waiting"
    allowed = dict(second, id="c-4", concurrency="Allow")
    assert call("POST", "/workflow/run", allowed)[1]["state"] == "completed"
    assert call("GET", "/workflow/status?id=c-1")[1]["state"] == "waiting"


def test_concurrency_replace_cancels_the_unfinished_run(app, monkeypatch):
    _waiting_alarms(monkeypatch)
    first = {"workflow": "orders", "id": "r-1", "input": {"dir": str(app.logs), "prices": [1], "charge_failures": 1}}
    assert call("POST", "/workflow/run", first)[1]["state"] == "waiting"
    second = {"workflow": "orders", "id": "r-2", "concurrency": "Replace", "input": {"dir": str(app.logs), "prices": [2]}}
    assert call("POST", "/workflow/run", second)[1] == {"id": "r-2", "state": "completed"}
    doc = call("GET", "/workflow/status?id=r-1")[1]
    assert doc["state"] == "cancelled" and doc["error"] == "replaced by run r-2"
    assert [s["state"] for s in doc["steps"]] == ["completed", "cancelled", "pending"]
    # a cancelled run is finished: alarms and re-runs of its id do nothing
    time.sleep(0.25)
    assert call("POST", "/__pymode/alarm") == (200, {"resumed": []})
    assert call("POST", "/workflow/run", first)[1]["state"] == "cancelled"
    assert len(executions(app, "charge")) == 2  # r-1's first attempt and r-2's


def test_run_retry_defaults_apply_to_steps_without_their_own(app):
    # doomed's step sets no retries (Workflow default 1): the run's default of 3 applies
    status, out = call("POST", "/workflow/run", {"workflow": "doomed", "id": "rd-1",
                                                  "retry": {"retries": 3, "backoff": 0.01, "factor": 1}})
    assert (status, out["state"]) == (200, "failed")
    assert call("GET", "/workflow/status?id=rd-1")[1]["steps"][0]["attempts"] == 4
    # charge sets its own retries=2: a run default of 0 does not take them away
    body = {"workflow": "orders", "id": "rd-2", "retry": {"retries": 0},
            "input": {"dir": str(app.logs), "prices": [1], "charge_failures": 2}}
    assert call("POST", "/workflow/run", body)[1]["state"] == "completed"
    assert call("GET", "/workflow/status?id=rd-2")[1]["steps"][1]["attempts"] == 3


def test_run_options_are_validated_and_the_trigger_is_reported(app):
    status, out = call("POST", "/workflow/run", {"workflow": "doomed", "concurrency": "Sometimes"})
    assert status == 400 and "concurrency must be one of Allow, Forbid, Replace" in out["error"]
    status, out = call("POST", "/workflow/run", {"workflow": "doomed", "retry": {"retries": -1}})
    assert status == 400 and out["error"].startswith("retry: retries must be")
    status, out = call("POST", "/workflow/run", {"workflow": "doomed", "retry": {"tries": 1}})
    assert status == 400 and "retry must be an object" in out["error"]
    call("POST", "/workflow/run", {"workflow": "doomed", "id": "t-1", "trigger": "Schedule"})
    assert call("GET", "/workflow/status?id=t-1")[1]["trigger"] == "Schedule"
