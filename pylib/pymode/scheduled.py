"""Cron triggers that call Python: the entry's scheduled handler.

The entry module defines one of (may be `async def`):

    def on_scheduled(event, env, ctx):           # pymode's own (one to three arguments)
        ...

    class Default(WorkerEntrypoint):              # Cloudflare's Python Workers API
        async def scheduled(self, controller, env, ctx):
            ...

and the worker declares its crons (`spec.triggers.crons` of the PyModeWorker, as wrangler's
`[triggers] crons`). The event (Cloudflare's `ScheduledController`) has `cron` (the expression that
fired), `scheduledTime` (milliseconds since the epoch, as Cloudflare gives it), `scheduled_time`
(the same as a UTC datetime), `type` ("scheduled") and `noRetry()` / `no_retry()`.

Returning ends the invocation as a success; raising fails it (the host throws, so it shows as failed
in the cron history). The host hands a firing to Python as `POST https://pymode.internal/__pymode/scheduled`
with `{"cron", "scheduledTime"}` (docs/abi.md §7) and applies the `noRetry` of the answer.
"""

import json

from . import _entrypoints

__all__ = ["ScheduledEvent", "SCHEDULED_PATH", "run_scheduled"]

SCHEDULED_PATH = "/__pymode/scheduled"


class ScheduledEvent:
    """One firing of a cron trigger (Cloudflare's `ScheduledController`)."""

    type = "scheduled"

    def __init__(self, cron, scheduled_time_ms):
        self.cron = cron
        self.scheduledTime = scheduled_time_ms
        import datetime  # not at start: pymode._handler imports this module in every interpreter

        self.scheduled_time = datetime.datetime.fromtimestamp(scheduled_time_ms / 1000, datetime.timezone.utc)
        self._no_retry = False

    def no_retry(self):
        """Ask the platform not to retry this invocation should it fail."""
        self._no_retry = True

    noRetry = no_retry

    def __repr__(self):
        return f"<ScheduledEvent cron={self.cron!r} scheduled_time={self.scheduled_time.isoformat()}>"


def decode_event(data):
    """The event in the host's JSON body; ValueError naming what is wrong."""
    try:
        raw = json.loads(data)
    except ValueError as exc:
        raise ValueError(f"scheduled event is not JSON: {exc}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("cron"), str):
        raise ValueError("scheduled event must be an object with a string cron")
    when = raw.get("scheduledTime")
    if isinstance(when, bool) or not isinstance(when, (int, float)):
        raise ValueError("scheduled event must have a numeric scheduledTime (ms since the epoch)")
    return ScheduledEvent(raw["cron"], when)


def run_scheduled(handler, data, env):
    """Run the scheduled handler on the firing in `data` -> the answer for the host."""
    event = decode_event(data)
    _entrypoints.completed(handler(event, env))
    return {"noRetry": event._no_retry}
