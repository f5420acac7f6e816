"""Queue consumers under `pymode dev`: what a queue binding sends reaches the worker's own consumer.

worker.yaml says which queue a producer binding sends to (`spec.bindings.queues[].queue`) and which
queues the worker consumes (`spec.queueConsumers[]`: `queue`, `batchSize`, `maxRetries`,
`maxWaitTimeMs`, `deadLetterQueue`). Messages sent to a consumed queue are delivered in batches
through the same route the edge host uses (`POST /__pymode/queue`, docs/abi.md §7), with Cloudflare's
rules: a batch leaves when it is full or its oldest message has waited `maxWaitTimeMs`; a message
not retried is acknowledged when `on_queue` returns; `on_queue` raising retries the whole batch; a
message retried more than `maxRetries` times goes to the dead-letter queue (delivered too if this
worker consumes it) or is dropped. Messages live in memory, as the producer's did before.
"""

import base64
import json
import threading
import time
import uuid

# Cloudflare's defaults for a consumer (wrangler's `max_batch_size`, `max_retries`, `max_batch_timeout`)
DEFAULT_BATCH_SIZE = 10
DEFAULT_MAX_RETRIES = 3
DEFAULT_MAX_WAIT_MS = 5000


class Consumer:
    def __init__(self, spec):
        self.queue = spec["queue"]
        self.batch_size = int(spec.get("batchSize") or DEFAULT_BATCH_SIZE)
        self.max_retries = int(DEFAULT_MAX_RETRIES if spec.get("maxRetries") is None else spec["maxRetries"])
        self.max_wait = (DEFAULT_MAX_WAIT_MS if spec.get("maxWaitTimeMs") is None else int(spec["maxWaitTimeMs"])) / 1000
        self.dead_letter_queue = spec.get("deadLetterQueue")


def _wire(message):
    """A pending message as the batch JSON carries it (docs/abi.md §7)."""
    content_type, body = message["contentType"], message["body"]
    if content_type == "bytes":
        value = base64.b64encode(body).decode("ascii")
    elif content_type == "text":
        value = body.decode("utf-8")
    else:
        value = json.loads(body)
    return {"id": message["id"], "timestamp": message["timestamp"], "attempts": message["attempts"],
            "contentType": content_type, "body": value}


class QueueDelivery:
    """Pending messages per consumed queue and the thread that delivers them.

    `deliver_batch(batch_json) -> (status, body)` runs one batch through the handler;
    `say(message)` and `warn(message)` report what happened."""

    def __init__(self, deliver_batch, say, warn, clock=time.monotonic, wall=time.time):
        self._deliver_batch = deliver_batch
        self._say = say
        self._warn = warn
        self._clock = clock
        self._wall = wall
        self._cond = threading.Condition()
        self._pending = {}  # queue -> [message]
        self._queues = {}  # binding -> queue name
        self._consumers = {}  # queue -> Consumer
        self.dropped = {}  # queue -> [message] nobody will get (no dead-letter queue)
        self.dead_lettered = {}  # queue -> [message] sent to a dead-letter queue this worker does not consume
        self._stop = False
        self._thread = None

    def configure(self, spec):
        """Read the bindings' queues and the consumers from worker.yaml's spec (again after a reload)."""
        bindings = (spec.get("bindings") or {}).get("queues") or []
        consumers = spec.get("queueConsumers") or []
        with self._cond:
            self._queues = {b["name"]: b.get("queue") or b["name"] for b in bindings if isinstance(b, dict)}
            self._consumers = {c["queue"]: Consumer(c) for c in consumers if isinstance(c, dict) and c.get("queue")}
            self._cond.notify_all()

    def consumes(self, queue):
        return queue in self._consumers

    def sent(self, binding, messages):
        """The producer host's hook: take messages for delivery when this worker consumes their queue.
        Called while the handler runs, so it only queues them. -> the queue name, or None."""
        with self._cond:
            queue = self._queues.get(binding)
            if queue not in self._consumers:
                return None
            now, stamp = self._clock(), int(self._wall() * 1000)
            for m in messages:
                self._pending.setdefault(queue, []).append({
                    "id": uuid.uuid4().hex, "timestamp": stamp, "attempts": 1, "contentType": m["contentType"],
                    "body": m["body"], "visible": now + m.get("delaySeconds", 0)})
            self._cond.notify_all()
            return queue

    def start(self):
        self._thread = threading.Thread(target=self._run, name="pymode-dev-queues", daemon=True)
        self._thread.start()

    def close(self):
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def pending(self, queue):
        with self._cond:
            return list(self._pending.get(queue, []))

    # --- delivery --------------------------------------------------------------------

    def _next_batch(self):
        """(consumer, messages) due now, or (None, seconds to wait)."""
        now = self._clock()
        wait = 1.0
        for queue, messages in self._pending.items():
            consumer = self._consumers.get(queue)
            if consumer is None:
                continue  # no longer consumed after a reload: kept until it is again
            due = [m for m in messages if m["visible"] <= now]
            later = [m["visible"] - now for m in messages if m["visible"] > now]
            if due:
                waited = now - min(m["visible"] for m in due)
                if len(due) >= consumer.batch_size or waited >= consumer.max_wait:
                    batch = due[:consumer.batch_size]
                    ids = {id(m) for m in batch}
                    self._pending[queue] = [m for m in messages if id(m) not in ids]
                    return consumer, batch
                wait = min(wait, consumer.max_wait - waited)
            if later:
                wait = min(wait, min(later))
        return None, max(wait, 0.01)

    def _run(self):
        while True:
            with self._cond:
                while True:
                    if self._stop:
                        return
                    consumer, batch_or_wait = self._next_batch()
                    if consumer is not None:
                        batch = batch_or_wait
                        break
                    self._cond.wait(batch_or_wait)
            try:
                self._deliver(consumer, batch)
            except Exception as exc:  # the thread must outlive any one batch
                self._warn(f"queue {consumer.queue}: delivering a batch failed: {exc!r}; it is retried")
                self._settle(consumer, batch, {}, failed=True)

    def _deliver(self, consumer, batch):
        body = json.dumps({"queue": consumer.queue, "messages": [_wire(m) for m in batch]}).encode("utf-8")
        status, answer = self._deliver_batch(body)
        if status != 200:
            # on_queue raised (its traceback is in the log) or the entry has none: the whole batch again
            self._settle(consumer, batch, {}, failed=True)
            return
        self._settle(consumer, batch, json.loads(answer), failed=False)

    def _settle(self, consumer, batch, decisions, failed):
        """Cloudflare's rules: a message's own ack()/retry() wins over ackAll()/retryAll(); the rest are
        acknowledged when on_queue returned, retried when it raised."""
        retry_delay = {r["id"]: r.get("delaySeconds") for r in decisions.get("retries", [])}
        acked = set(decisions.get("acks", []))
        retry_all = decisions.get("retryAll")
        retried, acks = [], 0
        for m in batch:
            if m["id"] in acked:
                acks += 1
            elif m["id"] in retry_delay:
                retried.append((m, retry_delay[m["id"]]))
            elif retry_all is not None:
                retried.append((m, retry_all.get("delaySeconds")))
            elif failed:
                retried.append((m, None))
            else:
                acks += 1
        self._say(f"queue {consumer.queue}: {len(batch)} message(s) delivered to the consumer, {acks} acknowledged, "
                  f"{len(retried)} retried")
        with self._cond:
            for m, delay in retried:
                if m["attempts"] > consumer.max_retries:
                    self._give_up(consumer, m)
                    continue
                m["attempts"] += 1
                m["visible"] = self._clock() + (delay or 0)
                self._pending.setdefault(consumer.queue, []).append(m)
            self._cond.notify_all()

    def _give_up(self, consumer, message):
        """Retries ran out: the dead-letter queue, else dropped (called with the lock held)."""
        dlq = consumer.dead_letter_queue
        if dlq is None:
            self.dropped.setdefault(consumer.queue, []).append(message)
            self._warn(f"queue {consumer.queue}: message {message['id']} dropped after {message['attempts']} "
                       f"attempts (no deadLetterQueue)")
            return
        moved = dict(message, id=uuid.uuid4().hex, attempts=1, visible=self._clock())
        if dlq in self._consumers:
            self._pending.setdefault(dlq, []).append(moved)
        else:
            self.dead_lettered.setdefault(dlq, []).append(moved)
        self._warn(f"queue {consumer.queue}: message {message['id']} moved to dead-letter queue {dlq} after "
                   f"{message['attempts']} attempts")
