"""Cloudflare Queues: the producer binding (kind `queue`) and the consumer handler.

Producer (a binding declared as `queue`):

    env.JOBS.send({"order": 42})                 # JSON
    env.JOBS.send("plain text")                  # text
    env.JOBS.send(b"\\x00\\x01")                    # bytes
    env.JOBS.send_batch([{"a": 1}, SendRequest("later", delay_seconds=30)])

Consumer: the entry module defines `on_queue(batch, env)` (may be `async def`).
Each message has `id`, `timestamp` (datetime, UTC), `attempts`, `body` and
`ack()` / `retry(delay_seconds=None)`; the batch has `queue`, `messages`,
`ack_all()` and `retry_all(delay_seconds=None)`. As on Cloudflare, returning
normally acknowledges every message not retried; raising retries the whole
batch (up to the consumer's max retries, then its dead-letter queue).

The host hands a batch to Python as `POST https://pymode.internal/__pymode/queue`
(docs/abi.md §7); this module turns it into the objects above and answers with
the decisions.
"""

import json

from . import _entrypoints
from ._abi import QueueError, call
from .workers import json_bytes

__all__ = ["Queue", "SendRequest", "Message", "MessageBatch", "QueueError", "QUEUE_PATH"]

QUEUE_PATH = "/__pymode/queue"
_CONTENT_TYPES = ("json", "text", "bytes")


class SendRequest:
    """A message with send options, for `send_batch`: `SendRequest(body, content_type=None, delay_seconds=None)`."""

    def __init__(self, body, content_type=None, delay_seconds=None):
        self.body = body
        self.content_type = content_type
        self.delay_seconds = delay_seconds


def _encode(body, content_type, delay_seconds):
    """(options, blob) of one message; the content type follows the body's type unless given."""
    if content_type is None:
        if isinstance(body, (bytes, bytearray, memoryview)):
            content_type = "bytes"
        elif isinstance(body, str):
            content_type = "text"
        else:
            content_type = "json"
    if content_type not in _CONTENT_TYPES:
        raise ValueError(f"content_type must be one of {', '.join(_CONTENT_TYPES)}, got {content_type!r}")
    if content_type == "bytes":
        if not isinstance(body, (bytes, bytearray, memoryview)):
            raise TypeError(f"a bytes message needs a bytes-like body, got {type(body).__name__}")
        blob = bytes(body)
    elif content_type == "text":
        if not isinstance(body, str):
            raise TypeError(f"a text message needs a str body, got {type(body).__name__}")
        blob = body.encode("utf-8")
    else:
        blob = json_bytes(body, "queue message")
    options = {"contentType": content_type}
    if delay_seconds is not None:
        if isinstance(delay_seconds, bool) or not isinstance(delay_seconds, int) or delay_seconds < 0:
            raise ValueError(f"delay_seconds must be a non-negative int, got {delay_seconds!r}")
        options["delaySeconds"] = delay_seconds
    return options, blob


class Queue:
    """A queue producer binding."""

    SPEC_FIELD = "queues"

    def __init__(self, name):
        self.name = name

    def send(self, body, content_type=None, delay_seconds=None):
        """Send one message: str → text, bytes → bytes, anything else → JSON (or say `content_type`)."""
        options, blob = _encode(body, content_type, delay_seconds)
        call("queue", self.name, "send", options, blob)

    def send_batch(self, messages, delay_seconds=None):
        """Send several messages at once (at most 100, 256 KB in all); items are bodies or `SendRequest`s."""
        specs, blobs = [], []
        for m in messages:
            if isinstance(m, SendRequest):
                options, blob = _encode(m.body, m.content_type, m.delay_seconds)
            else:
                options, blob = _encode(m, None, None)
            specs.append(options)
            blobs.append(blob)
        if not specs:
            raise ValueError("send_batch needs at least one message")
        args = {"messages": specs}
        if delay_seconds is not None:
            args["delaySeconds"] = delay_seconds
        call("queue", self.name, "sendBatch", args, *blobs)

    def __repr__(self):
        return f"<Queue {self.name}>"


# --- the consumer side ------------------------------------------------------------------


class Message:
    """One delivered message: `id`, `timestamp`, `attempts`, `body`; `ack()` / `retry()`."""

    def __init__(self, batch, id, timestamp, attempts, body):
        self._batch = batch
        self.id = id
        self.timestamp = timestamp
        self.attempts = attempts
        self.body = body

    def ack(self):
        """Acknowledge this message: it will not be delivered again, whatever happens later."""
        self._batch._decide(self.id, ("ack", None))

    def retry(self, delay_seconds=None):
        """Deliver this message again later (counts as an attempt)."""
        self._batch._decide(self.id, ("retry", delay_seconds))

    def __repr__(self):
        return f"<Message {self.id} attempts={self.attempts}>"


class MessageBatch:
    """The messages of one delivery: `queue` (its name), `messages`, `ack_all()`, `retry_all()`."""

    def __init__(self, queue, messages):
        self.queue = queue
        self._decisions = {}
        self._all = None
        self.messages = [Message(self, *m) for m in messages]

    def _decide(self, message_id, decision):
        self._decisions.setdefault(message_id, decision)  # the first call wins, as on Cloudflare

    def ack_all(self):
        self._all = self._all or ("ack", None)

    def retry_all(self, delay_seconds=None):
        self._all = self._all or ("retry", delay_seconds)

    # Cloudflare's names, for consumers written for its Python Workers API
    ackAll = ack_all
    retryAll = retry_all

    def _answer(self):
        out = {"acks": [], "retries": []}
        for mid, (what, delay) in self._decisions.items():
            if what == "ack":
                out["acks"].append(mid)
            else:
                out["retries"].append({"id": mid} if delay is None else {"id": mid, "delaySeconds": delay})
        if self._all is not None:
            what, delay = self._all
            if what == "ack":
                out["ackAll"] = True
            else:
                out["retryAll"] = {} if delay is None else {"delaySeconds": delay}
        return out

    def __repr__(self):
        return f"<MessageBatch {self.queue} {len(self.messages)} messages>"


def _body(m):
    ct = m.get("contentType")
    if ct == "bytes":
        import base64  # not at start: only queue consumers need it

        return base64.b64decode(m["body"])
    if ct in ("text", "json"):
        return m["body"]
    raise ValueError(f"queue message {m.get('id')!r} has unknown contentType {ct!r}")


def decode_batch(data):
    """The host's batch JSON → MessageBatch."""
    raw = json.loads(data)
    if not isinstance(raw, dict) or not isinstance(raw.get("queue"), str) or not isinstance(raw.get("messages"), list):
        raise ValueError("queue batch must be {queue: str, messages: [...]}")
    import datetime  # not at start: only queue consumers need it

    messages = []
    for m in raw["messages"]:
        ts = datetime.datetime.fromtimestamp(m["timestamp"] / 1000, tz=datetime.timezone.utc)
        messages.append((m["id"], ts, m.get("attempts", 1), _body(m)))
    return MessageBatch(raw["queue"], messages)


def run_consumer(handler, data, env):
    """Run `on_queue` on the batch in `data` -> the decisions (JSON-serialisable) for the host."""
    batch = decode_batch(data)
    _entrypoints.completed(handler(batch, env))
    return batch._answer()
