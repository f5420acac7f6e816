"""Upstream PyMode's own examples (examples/upstream, unmodified) on the native host, as `pymode dev` runs them:
the entry comes from their `[tool.pymode] main`, and each answers what its README documents."""

import json
import os

import pytest

from pymode import _abi, _handler, _native
from pymode.cli.project import Project

UPSTREAM = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "upstream")


@pytest.fixture
def example(tmp_path):
    def start(name, bindings=None):
        project = Project(os.path.abspath(os.path.join(UPSTREAM, name)))
        _native.install(str(tmp_path / "state"), bindings=bindings or {}, log_stream=None)
        _handler.load(project.entry(), root=project.root)

    yield start
    _handler._unload()
    _native.uninstall()


def call(method, path, body=None, headers=()):
    meta = {"method": method, "url": "http://localhost:8787" + path, "headers": [list(h) for h in headers]}
    raw = b"" if body is None else body.encode()
    fields = _abi.decode_frames(_handler.handle(_abi.encode_frames(b"request", _abi.dump_json(meta), raw)))
    head = json.loads(fields[0])
    return head["status"], {k.lower(): v for k, v in head["headers"]}, fields[1].decode()


def test_hello_worker(example):
    example("hello-worker")
    assert call("GET", "/")[::2] == (200, "Hello from PyMode!")
    status, _, body = call("GET", "/json")
    assert (status, json.loads(body)) == (200, {"message": "Hello from PyMode!", "method": "GET",
                                                "url": "http://localhost:8787/json"})
    status, _, body = call("POST", "/echo", "ping", headers=[("x-probe", "1")])
    echoed = json.loads(body)
    assert (status, echoed["method"], echoed["body"], echoed["headers"]["x-probe"]) == (200, "POST", "ping", "1")
    assert call("GET", "/greet?name=Ada")[::2] == (200, "Hello, Ada!")
    assert call("GET", "/greet")[::2] == (200, "Hello, World!")
    assert call("GET", "/nope")[::2] == (404, "Not Found")


def test_api_worker_keeps_items_in_kv_and_answers_cors(example):
    # upstream declares no bindings of its own: MY_KV is a KV namespace by its name (*_KV), as upstream guesses
    example("api-worker")
    status, headers, _ = call("OPTIONS", "/api/items")
    assert (status, headers["access-control-allow-origin"]) == (204, "*")
    assert json.loads(call("GET", "/api/items")[2]) == {"items": []}
    status, headers, body = call("POST", "/api/items", json.dumps({"id": 7, "name": "widget"}))
    assert (status, json.loads(body), headers["access-control-allow-origin"]) == (
        201, {"created": {"id": 7, "name": "widget"}}, "*")
    assert json.loads(call("GET", "/api/items")[2]) == {"items": [{"id": 7, "name": "widget"}]}
    assert json.loads(call("GET", "/api/items/7")[2]) == {"id": 7, "name": "widget"}
    status, _, body = call("GET", "/api/items/8")
    assert (status, json.loads(body)) == (404, {"error": "Item not found"})
    assert call("DELETE", "/api/items")[0] == 404


def test_workflow_worker_runs_the_order_pipeline(example):
    example("workflow-worker")
    assert json.loads(call("GET", "/")[2])["endpoints"] == ["/workflow/run", "/workflow/resume", "/workflow/info"]
    info = json.loads(call("GET", "/workflow/info")[2])
    assert [s["name"] for s in info["steps"]] == ["validate_order", "calculate_total", "create_receipt"]
    status, _, body = call("POST", "/workflow/run", json.dumps({"input": {"item": "widget", "quantity": 3}}))
    run = json.loads(body)
    assert (status, run["status"]) == (200, "completed")
    assert run["workflow_id"].startswith("order-processing_")
    assert run["results"]["validate_order"] == {"item": "widget", "quantity": 3, "validated": True}
    assert run["results"]["calculate_total"] == {"item": "widget", "quantity": 3, "unit_price": 9.99, "total": 29.97}
    assert run["results"]["create_receipt"] == {"receipt_id": f"REC-{run['workflow_id']}", "item": "widget",
                                                 "quantity": 3, "total": "$29.97", "status": "confirmed"}
    status, _, body = call("POST", "/workflow/run", json.dumps({"input": {"quantity": 3}}))
    failed = json.loads(body)
    assert (failed["status"], failed["error"]) == ("failed", {
        "step": "validate_order", "attempt": 1, "max_attempts": 1,
        "error": "ValueError: Order must have 'item' and 'quantity'"})
