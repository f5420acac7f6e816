"""Upstream PyMode's workflow HTTP surface (GET /workflow/info, POST /workflow/run {workflow_id?, input},
POST /workflow/resume {workflow_id, journal}) next to pymode.workflows' own, on the native host. The entry is
written the way upstream's README and workflow example write one: a module-level `workflow`, `ctx.workflow_id`."""

import json
import textwrap

import pytest

from pymode import _abi, _handler, _native, workflows

UPSTREAM_ENTRY = '''
from pymode.workers import Response
from pymode.workflows import Workflow

workflow = Workflow("order-processing")
PRICES = {"widget": 9.99, "gadget": 24.99}


@workflow.step
def validate_order(ctx):
    order = ctx.input
    if "item" not in order or "quantity" not in order:
        raise ValueError("Order must have 'item' and 'quantity'")
    return {"item": order["item"], "quantity": order["quantity"], "validated": True}


@workflow.step(retries=2, backoff=0.01)
def calculate_total(ctx):
    order = ctx.results["validate_order"]
    price = PRICES.get(order["item"], 0)
    if price == 0:
        raise ValueError(f"Unknown item: {order['item']}")
    return {"item": order["item"], "total": round(price * order["quantity"], 2)}


@workflow.step
def create_receipt(ctx):
    total = ctx.results["calculate_total"]
    return {"receipt_id": f"REC-{ctx.workflow_id}", "total": f"${total['total']:.2f}", "status": "confirmed"}


def on_fetch(request, env):
    if request.path == "/":
        return Response.json({"name": "Order Processing Workflow",
                              "endpoints": ["/workflow/run", "/workflow/resume", "/workflow/info"]})
    return Response("Not Found", status=404)
'''


@pytest.fixture
def upstream(tmp_path):
    (tmp_path / "proj" / "src").mkdir(parents=True)
    (tmp_path / "proj" / "src" / "entry.py").write_text(textwrap.dedent(UPSTREAM_ENTRY))
    _native.install(str(tmp_path / "state"), bindings={}, log_stream=None)
    _handler.load("src/entry.py", root=str(tmp_path / "proj"))
    yield
    _handler._unload()
    _native.uninstall()


def call(method, path, body=None):
    meta = {"method": method, "url": "https://w.example" + path, "headers": []}
    raw = b"" if body is None else json.dumps(body).encode()
    fields = _abi.decode_frames(_handler.handle(_abi.encode_frames(b"request", _abi.dump_json(meta), raw)))
    return json.loads(fields[0])["status"], json.loads(fields[1])


def test_info_lists_the_steps_with_retries_and_backoff(upstream):
    assert call("GET", "/workflow/info") == (200, {"name": "order-processing", "steps": [
        {"name": "validate_order", "retries": 0, "backoff": 1.0},
        {"name": "calculate_total", "retries": 2, "backoff": 0.01},
        {"name": "create_receipt", "retries": 0, "backoff": 1.0}]})
    assert call("POST", "/workflow/info")[0] == 405
    assert call("GET", "/") == (200, {"name": "Order Processing Workflow",
                                      "endpoints": ["/workflow/run", "/workflow/resume", "/workflow/info"]})


def test_run_with_input_only_answers_upstreams_result_document(upstream):
    status, out = call("POST", "/workflow/run", {"input": {"item": "widget", "quantity": 3}})
    assert status == 200 and out["status"] == "completed"
    assert out["workflow_id"].startswith("order-processing_")
    assert out["results"] == {
        "validate_order": {"item": "widget", "quantity": 3, "validated": True},
        "calculate_total": {"item": "widget", "total": 29.97},
        "create_receipt": {"receipt_id": f"REC-{out['workflow_id']}", "total": "$29.97", "status": "confirmed"},
    }
    assert "error" not in out
    # the run is stored like any other: pymode's own status route sees it
    assert call("GET", f"/workflow/status?id={out['workflow_id']}")[1]["state"] == "completed"


def test_run_with_a_workflow_id_and_a_failing_step(upstream):
    status, out = call("POST", "/workflow/run", {"workflow_id": "wf-7", "input": {"item": "yacht", "quantity": 1}})
    assert status == 200
    assert out == {"workflow_id": "wf-7", "status": "failed",
                   "results": {"validate_order": {"item": "yacht", "quantity": 1, "validated": True}},
                   "error": {"step": "calculate_total", "attempt": 3, "max_attempts": 3,
                             "error": "ValueError: Unknown item: yacht"}}


def test_resume_with_a_journal_skips_the_completed_steps(upstream):
    journal = {"workflow_id": "wf-j", "status": "failed", "completed_steps": ["validate_order", "calculate_total"],
               "results": {"validate_order": {"item": "gadget", "quantity": 2, "validated": True},
                           "calculate_total": {"item": "gadget", "total": 1000.0}}}
    status, out = call("POST", "/workflow/resume", {"workflow_id": "wf-j", "journal": journal})
    assert status == 200 and out["status"] == "completed"
    # the journal's results were used as they are (calculate_total did not run again: 1000.0, not 49.98)
    assert out["results"]["create_receipt"] == {"receipt_id": "REC-wf-j", "total": "$1000.00", "status": "confirmed"}
    doc = call("GET", "/workflow/status?id=wf-j")[1]
    assert [(s["name"], s["attempts"], s.get("from_journal", False)) for s in doc["steps"]] == [
        ("validate_order", 0, True), ("calculate_total", 0, True), ("create_receipt", 1, False)]


def test_resume_reopens_a_failed_run_at_its_failed_step(upstream, monkeypatch):
    assert call("POST", "/workflow/run", {"workflow_id": "wf-f", "input": {"item": "sprocket", "quantity": 2}}
                )[1]["status"] == "failed"
    entry = _handler.sys.modules["src.entry"]
    monkeypatch.setitem(entry.PRICES, "sprocket", 1.5)  # the cause is fixed; resuming retries the failed step
    status, out = call("POST", "/workflow/resume", {"workflow_id": "wf-f", "journal": {"completed_steps": []}})
    assert (status, out["status"]) == (200, "completed")
    assert out["results"]["calculate_total"] == {"item": "sprocket", "total": 3.0}
    doc = call("GET", "/workflow/status?id=wf-f")[1]
    assert [s["attempts"] for s in doc["steps"]] == [1, 1, 1]  # validate_order was not run again
    # resuming a completed run changes nothing
    assert call("POST", "/workflow/resume", {"workflow_id": "wf-f"})[1] == out


def test_resume_without_journal_or_stored_run_starts_one(upstream):
    status, out = call("POST", "/workflow/resume", {"workflow_id": "wf-new", "input": {"item": "widget", "quantity": 1}})
    assert (status, out["status"], out["results"]["create_receipt"]["total"]) == (200, "completed", "$9.99")


@pytest.mark.parametrize("body, status, message", [
    ({"workflow_id": None}, 400, "workflow_id required"),
    ({"workflow_id": "x", "journal": []}, 400, "journal must be an object"),
    ({"workflow_id": "x", "journal": {"completed_steps": "validate_order"}}, 400, "completed_steps must be a list"),
    ({"workflow_id": "x", "journal": {"completed_steps": ["charge"]}}, 400,
     "does not have: charge (its steps: validate_order, calculate_total, create_receipt)"),
    ({"workflow_id": "x", "journal": {"completed_steps": ["validate_order"], "results": {}}}, 400,
     "no result for completed step(s) validate_order"),
    ({"workflow_id": "bad id!"}, 400, "workflow_id must match"),
])
def test_resume_refuses_bad_journals(upstream, body, status, message):
    got_status, out = call("POST", "/workflow/resume", body)
    assert got_status == status and message in out["error"]
    assert call("GET", "/workflow/status?id=x")[0] == 404  # nothing was started


def test_run_conflicts_and_bad_ids(upstream):
    call("POST", "/workflow/run", {"workflow_id": "wf-c", "input": {"item": "widget", "quantity": 1}})
    status, out = call("POST", "/workflow/resume", {"workflow_id": "wf-c", "input": {"item": "widget", "quantity": 9}})
    assert status == 409 and "different input" in out["error"]
    assert call("POST", "/workflow/run", {"workflow_id": 7, "input": {}})[0] == 400


def test_several_workflows_need_a_name(upstream):
    second = workflows.Workflow("refunds")
    second.step(lambda ctx: {"refunded": ctx.input})
    status, out = call("GET", "/workflow/info")
    assert status == 400 and "several workflows (order-processing, refunds)" in out["error"]
    assert call("GET", "/workflow/info?workflow=refunds")[1]["name"] == "refunds"
    status, out = call("POST", "/workflow/run?workflow=refunds", {"workflow_id": "rf-1", "input": 5})
    assert out == {"workflow_id": "rf-1", "status": "completed", "results": {"<lambda>": {"refunded": 5}}}
    # a stored run's workflow is known: resume needs no name
    assert call("POST", "/workflow/resume", {"workflow_id": "rf-1"})[1]["status"] == "completed"


def test_the_handler_routes_every_engine_path():
    assert set(_handler.WORKFLOW_PATHS) == set(workflows.PATHS)


def test_upstreams_step_timeout_is_accepted_and_said_to_be_unenforced(upstream):
    wf = workflows.Workflow("slow")

    @wf.step(retries=1, timeout=30)
    def crunch(ctx):
        return 1

    assert [s.name for s in wf.steps] == ["crunch"]
    warnings = [m for level, m in _native._current().logs if level == 30]
    assert any("slow step crunch: timeout=30 is accepted for upstream PyMode's API but not enforced" in m for m in warnings)
