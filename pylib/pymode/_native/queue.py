"""Queue producer bindings for the native host (kind `queue`, docs/abi.md §3).

The native host runs one worker: it checks each send like Cloudflare does
(content type, message and batch limits) and keeps the messages in memory per
binding (`sent`). A `consumer` hook (the dev server's, pymode.dev.queues) takes
those for a queue the worker consumes itself and names that queue; others are
logged as not delivered.
"""

import json

from .. import _abi
from ._common import Fail, invalid

MESSAGE_MAX_BYTES = 128 * 1024
BATCH_MAX_MESSAGES = 100
BATCH_MAX_BYTES = 256 * 1024
CONTENT_TYPES = ("json", "text", "bytes")
LOG_INFO = 20


def _limit(message):
    return Fail(_abi.STATUS_LIMIT, "LIMIT_EXCEEDED", message)


def _message(spec, blob, op):
    if not isinstance(spec, dict):
        raise invalid(f"{op}: each message needs an object of options")
    content_type = spec.get("contentType", "json")
    if content_type not in CONTENT_TYPES:
        raise invalid(f'{op}: "contentType" must be "json", "text" or "bytes", got {json.dumps(content_type)}')
    if len(blob) > MESSAGE_MAX_BYTES:
        raise _limit(f"{op}: message of {len(blob)} bytes; at most {MESSAGE_MAX_BYTES}")
    if content_type != "bytes":
        try:
            text = blob.decode("utf-8")
            if content_type == "json":
                json.loads(text)
        except ValueError as exc:
            raise invalid(f"{op}: a {content_type} message body is not valid: {exc}") from None
    out = {"contentType": content_type, "body": bytes(blob)}
    delay = spec.get("delaySeconds")
    if delay is not None:
        if isinstance(delay, bool) or not isinstance(delay, int) or not 0 <= delay <= 43200:
            raise invalid(f'{op}: "delaySeconds" must be an integer 0..43200')
        out["delaySeconds"] = delay
    return out


class QueueSink:
    def __init__(self, log):
        self.sent = {}
        self._log = log
        self.consumer = None  # (binding, messages) -> the queue they are delivered on, or None

    def op(self, binding, op, args, blobs):
        if op == "send":
            if len(blobs) != 1:
                raise invalid(f"queue.send: exactly one message body, got {len(blobs)}")
            messages = [_message(args, blobs[0], "queue.send")]
        elif op == "sendBatch":
            specs = args.get("messages")
            if not isinstance(specs, list):
                raise invalid('queue.sendBatch: "messages" must be a list')
            if len(specs) != len(blobs):
                raise invalid(f"queue.sendBatch: {len(specs)} messages but {len(blobs)} bodies")
            if not specs:
                raise invalid("queue.sendBatch: no messages")
            if len(specs) > BATCH_MAX_MESSAGES:
                raise _limit(f"queue.sendBatch: {len(specs)} messages; at most {BATCH_MAX_MESSAGES}")
            total = sum(len(b) for b in blobs)
            if total > BATCH_MAX_BYTES:
                raise _limit(f"queue.sendBatch: {total} bytes; at most {BATCH_MAX_BYTES}")
            messages = [_message(s, b, "queue.sendBatch") for s, b in zip(specs, blobs)]
        else:
            raise invalid(f"queue: unknown operation {op!r}")
        self.sent.setdefault(binding, []).extend(messages)
        queue = self.consumer(binding, messages) if self.consumer is not None else None
        if queue is None:
            self._log(LOG_INFO, f"queue {binding}: {len(messages)} message(s) sent; no consumer of its queue runs here")
        return None, []
