"""examples/workflow-worker end to end on the native host: the order workflow with its
transient payment failure, the status document, and the parallel carrier quotes."""

import json
import os
import time

import pytest

from pymode import _abi, _handler, _native

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "workflow-worker")


@pytest.fixture
def example(tmp_path):
    host = _native.install(str(tmp_path / "state"), bindings={"INVENTORY_KV": {"type": "kv"}}, log_stream=None)
    _handler.load("src/entry.py", root=os.path.abspath(EXAMPLE))
    yield host
    _handler._unload()
    _native.uninstall()


def call(method, path, body=None):
    meta = {"method": method, "url": "https://workflow-worker.example" + path, "headers": []}
    raw = b"" if body is None else json.dumps(body).encode()
    fields = _abi.decode_frames(_handler.handle(_abi.encode_frames(b"request", _abi.dump_json(meta), raw)))
    return json.loads(fields[0])["status"], json.loads(fields[1])


def test_order_workflow_survives_a_transient_payment_failure(example):
    order = {"items": [{"sku": "mug", "qty": 2}, {"sku": "sticker", "qty": 3}], "card": "tok_visa"}
    started = time.time()
    status, out = call("POST", "/workflow/run", {"workflow": "process-order", "id": "order-1001", "input": order})
    assert (status, out) == (200, {"id": "order-1001", "state": "completed"})
    assert time.time() - started >= 2.0  # charge's first retry waits backoff=2 s
    status, doc = call("GET", "/workflow/status?id=order-1001")
    assert [(s["name"], s["state"], s["attempts"]) for s in doc["steps"]] == [
        ("validate", "completed", 1), ("reserve_inventory", "completed", 1),
        ("charge", "completed", 2), ("ship", "completed", 1)]
    assert doc["steps"][0]["result"]["total_cents"] == 2 * 1200 + 3 * 300
    assert doc["steps"][1]["result"] == {"reservation": "R-order-1001", "items": {"mug": 2, "sticker": 3}}
    assert doc["steps"][3]["result"]["charged_cents"] == 3300
    from pymode.env import Env

    assert Env({"INVENTORY_KV": {"type": "kv"}}).INVENTORY_KV.get("stock:mug") == "98"


def test_bad_order_fails_in_validate(example):
    status, out = call("POST", "/workflow/run", {"workflow": "process-order", "input": {"items": [{"sku": "yacht", "qty": 1}]}})
    assert out["state"] == "failed"
    doc = call("GET", f"/workflow/status?id={out['id']}")[1]
    assert doc["error"] == "step validate failed after 1 attempt(s): ValueError: unknown SKUs: yacht"


def test_parallel_quotes(example):
    status, out = call("GET", "/quotes?kg=2")
    assert status == 200
    assert [(q["carrier"], q["cents"]) for q in out["quotes"]] == [("post", 690), ("express", 2100), ("freight", 3100)]


def test_manifests_name_the_workflow_in_code():
    with open(os.path.join(EXAMPLE, "workflow.yaml")) as f:
        text = f.read()
    assert "kind: PyModeWorkflow" in text and "workflow: process-order" in text and "name: workflow-worker" in text
    with open(os.path.join(EXAMPLE, "kustomization.yaml")) as f:
        kustomization = f.read()
    for name in ("worker.yaml", "workflow.yaml", "src--entry.py=src/entry.py", "src--shop.py=src/shop.py"):
        assert name in kustomization
