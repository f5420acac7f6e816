"""Binding kinds added through the registry: queue producers, the on_queue consumer, services."""
import base64
import json

import pytest

from pymode import _abi, _handler, http
from pymode.env import BINDING_KINDS, Env
from pymode.queues import Queue, QueueError, SendRequest
from pymode.services import Service
from pymode.workers import Request

from test_handler import error_logs, project, serve  # noqa: F401  (the project fixture)

QUEUE_BINDINGS = {"JOBS": {"type": "queue"}, "AUTH": {"type": "service"}, "MY_KV": {"type": "kv"}}


@pytest.fixture
def qenv(host, monkeypatch):
    monkeypatch.setenv("PYMODE_BINDINGS", json.dumps(QUEUE_BINDINGS))
    return Env()


def test_registry_builds_env_objects_by_kind(qenv):
    assert set(BINDING_KINDS) >= {"kv", "r2", "d1", "queue", "service"}
    assert isinstance(qenv.JOBS, Queue) and isinstance(qenv.AUTH, Service)
    assert "JOBS=<queue>" in repr(qenv)


def test_send_json_text_bytes_and_batch(qenv, host):
    qenv.JOBS.send({"order": 42})
    qenv.JOBS.send("plain")
    qenv.JOBS.send(b"\x00\x01")
    qenv.JOBS.send("quoted", content_type="json", delay_seconds=5)
    qenv.JOBS.send_batch([{"a": 1}, SendRequest(b"x", delay_seconds=2), "t"])
    sent = host.queue_messages["JOBS"]
    assert [(m["contentType"], m["body"]) for m in sent] == [
        ("json", b'{"order":42}'), ("text", b"plain"), ("bytes", b"\x00\x01"), ("json", b'"quoted"'),
        ("json", b'{"a":1}'), ("bytes", b"x"), ("text", b"t"),
    ]
    assert sent[3]["delaySeconds"] == 5 and sent[5]["delaySeconds"] == 2


def test_send_errors(qenv):
    with pytest.raises(TypeError, match="bytes message needs a bytes-like body"):
        qenv.JOBS.send("x", content_type="bytes")
    with pytest.raises(ValueError, match="content_type must be one of"):
        qenv.JOBS.send("x", content_type="v8")
    with pytest.raises(ValueError, match="at least one message"):
        qenv.JOBS.send_batch([])
    with pytest.raises(QueueError) as info:
        qenv.JOBS.send(b"x" * (128 * 1024 + 1))
    assert info.value.status == _abi.STATUS_LIMIT
    with pytest.raises(QueueError) as info:
        qenv.JOBS.send_batch([b"x"] * 101)
    assert info.value.status == _abi.STATUS_LIMIT
    with pytest.raises(QueueError) as info:  # a KV binding is not a queue
        _abi.call("queue", "MY_KV", "send", {"contentType": "text"}, b"x")
    assert info.value.status == _abi.STATUS_UNKNOWN_BINDING


def test_service_fetch_goes_through_the_service_kind(qenv, monkeypatch):
    seen = []

    def fake_call(kind, binding, op, args, *blobs):
        seen.append((kind, binding, op, args, blobs))
        return {"status": 201, "statusText": "Created", "headers": [["content-type", "application/json"]], "url": args["url"]}, [b'{"ok":true}']

    monkeypatch.setattr(_abi, "call", fake_call)
    r = qenv.AUTH.fetch("https://auth/check", method="post", body={"t": 1})
    assert (r.status, r.json()) == (201, {"ok": True})
    r = qenv.AUTH.fetch(Request("PUT", "https://auth/x", {"x-a": "1"}, b"raw"))
    assert [(k, b, op, a["method"], a["url"], blobs) for k, b, op, a, blobs in seen] == [
        ("service", "AUTH", "fetch", "POST", "https://auth/check", (b'{"t":1}',)),
        ("service", "AUTH", "fetch", "PUT", "https://auth/x", (b"raw",)),
    ]
    assert ["x-a", "1"] in seen[1][3]["headers"]


def test_service_binding_is_not_supported_by_the_native_host(qenv):
    with pytest.raises(http.FetchError) as info:
        qenv.AUTH.fetch("https://auth/")
    assert info.value.status == _abi.STATUS_NOT_SUPPORTED


CONSUMER = '''
from pymode.workers import Response
seen = []
def on_queue(batch, env):
    for m in batch.messages:
        seen.append((batch.queue, m.id, m.attempts, m.body, m.timestamp.year))
        if m.body == "retry-me":
            m.retry(delay_seconds=7)
        elif m.body == b"bin":
            m.ack()
        elif m.body == {"boom": True}:
            raise RuntimeError("consumer failed")
    if len(batch.messages) == 4:
        batch.retry_all()
'''


def batch_body(*messages):
    out = []
    for i, (ct, body) in enumerate(messages):
        wire = base64.b64encode(body).decode() if ct == "bytes" else body
        out.append({"id": f"m{i}", "timestamp": 1_765_000_000_000, "attempts": 1, "contentType": ct, "body": wire})
    return json.dumps({"queue": "jobs", "messages": out}).encode()


def test_on_queue_acks_retries_and_failures(project, host):
    project({"src/entry.py": CONSUMER})
    status, _, body = serve("POST", "https://pymode.internal/__pymode/queue", body=batch_body(
        ("text", "retry-me"), ("bytes", b"bin"), ("json", {"n": 1})))
    assert status == 200
    assert json.loads(body) == {"acks": ["m1"], "retries": [{"id": "m0", "delaySeconds": 7}]}
    import src.entry as entry

    assert entry.seen[:3] == [("jobs", "m0", 1, "retry-me", 2025), ("jobs", "m1", 1, b"bin", 2025), ("jobs", "m2", 1, {"n": 1}, 2025)]
    status, _, body = serve("POST", "https://pymode.internal/__pymode/queue", body=batch_body(*[("json", i) for i in range(4)]))
    assert json.loads(body) == {"acks": [], "retries": [], "retryAll": {}}
    status, _, body = serve("POST", "https://pymode.internal/__pymode/queue", body=batch_body(("json", {"boom": True})))
    assert status == 500 and b"RuntimeError" in body
    assert "on_queue failed; the batch will be retried" in error_logs(host)
    # a consumer-only entry serves no HTTP
    status, _, _ = serve("GET", "https://w.example/")
    assert status == 404


def test_batch_without_on_queue_is_a_500(project, host):
    project({"src/entry.py": "def on_fetch(request, env):\n    return 'x'\n"})
    status, _, _ = serve("POST", "https://pymode.internal/__pymode/queue", body=batch_body(("text", "x")))
    assert status == 500
    assert "defines no on_queue" in error_logs(host)


def test_async_on_queue_and_ack_all(project, host):
    project({"src/entry.py": """
        async def on_queue(batch, env):
            batch.messages[0].retry()
            batch.ack_all()
        """})
    status, _, body = serve("POST", "https://pymode.internal/__pymode/queue", body=batch_body(("text", "a"), ("text", "b")))
    assert status == 200
    # the explicit retry of m0 stands; ack_all covers the rest
    assert json.loads(body) == {"acks": [], "retries": [{"id": "m0"}], "ackAll": True}


def test_a_cloudflare_style_consumer_class_gets_its_batches_and_awaited_bindings(project, env):
    """Cloudflare's Python Workers write the consumer as `queue` of the entrypoint class (issue #19)."""
    project({"src/entry.py": """
        from workers import WorkerEntrypoint

        class Default(WorkerEntrypoint):
            async def queue(self, batch):
                for message in batch.messages:
                    await self.env.MY_KV.put(message.id, message.body)
                batch.ackAll()
        """})
    status, _, body = serve("POST", "https://pymode.internal/__pymode/queue", body=batch_body(("text", "a"), ("text", "b")))
    assert status == 200
    assert json.loads(body) == {"acks": [], "retries": [], "ackAll": True}
    assert (env.MY_KV.get("m0"), env.MY_KV.get("m1")) == ("a", "b")
    assert serve("GET", "https://w.example/")[0] == 404  # no fetch: a consumer only
