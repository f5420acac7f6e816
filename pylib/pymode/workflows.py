"""`pymode.workflows`: durable multi-step workflows.

    from pymode.workflows import Workflow

    orders = Workflow("process-order")

    @orders.step
    def validate(ctx):
        return {"total": sum(i["price"] for i in ctx.input["items"])}

    @orders.step(retries=3, backoff=2.0)
    def charge(ctx):
        return payments.charge(ctx.input["card"], ctx.results["validate"]["total"])

Steps run in definition order. Before a step starts, and again as soon as it
returns, the run's record is written to Durable Object storage (the host
binding kind `do_storage`, docs/abi.md §7), so the result of every
finished step is stored before the next step begins. A run that stops
(eviction, crash, deploy) resumes at the step that was running; finished steps
never run again, their results come from storage.

Retries: a step that raises is retried up to `retries` times; the k-th retry
waits `backoff * factor**(k-1)` seconds (`factor` defaults to 2). The wait is persisted as `not_before` on
the run. Where the host can wake the worker (a Durable Object alarm; the node
host's timer) the request returns with state "waiting" and the host resumes
the run later; where it cannot (native Python) the caller sleeps.

The worker exposes, once the entry defines a workflow (routed by
`pymode._handler` before `on_fetch`):
  POST /workflow/run      {"workflow", "input", "id"?, "concurrency"?, "retry"?, "trigger"?}  -> {"id", "state"}
  GET  /workflow/status?id=ID  -> {"id", "workflow", "state", "steps": [...], "error"?}
  POST /workflow/resume   {"id"}  (or no body: every run that is due)
  GET  /workflow/runs?workflow=NAME&limit=N  -> {"runs": [status, ...]} (newest first)
Upstream PyMode's surface is served next to it (a body without "workflow" is upstream's shape; the
workflow is the one the project defines, or the one named by "workflow" / ?workflow=):
  GET  /workflow/info          -> {"name", "steps": [{"name", "retries", "backoff"}]}
  POST /workflow/run    {"workflow_id"?, "input"}              -> {"workflow_id", "status", "results", "error"?}
  POST /workflow/resume {"workflow_id", "journal"?, "input"?}  -> the same; a stored run continues (a failed one
       from its failed step), else a new run starts with the journal's completed_steps and their results
With a PYMODE_WORKFLOW_TOKEN var or secret they require `Authorization: Bearer <token>`.

Guarantees (see pylib/README.md): at-least-once execution of each step,
exactly-once recording of its result, steps in order, one executor per run.
Inputs and step results must be JSON-serialisable; a run's record (input,
results, errors) must fit in 128 KiB.
"""

import hmac
import json
import re
import time
import traceback
import uuid

from . import _abi, _entrypoints

__all__ = ["Workflow", "Context", "WorkflowError", "STORAGE_KIND", "registered", "get"]

STORAGE_KIND = "do_storage"  # the host kind of docs/abi.md §7 (no binding name)
RUN_PREFIX = "wf:run:"
# Index of runs that are not finished: key -> {"at": epoch seconds when to look at it again}.
WAKE_PREFIX = "wf:wake:"
# How long a run may hold a step before an alarm checks that its executor is still alive.
DEFAULT_LEASE = 60.0
MAX_RETRIES = 100
PATHS = ("/workflow/run", "/workflow/status", "/workflow/resume", "/workflow/runs", "/workflow/info", "/__pymode/alarm")
LOG_ERROR, LOG_WARNING, LOG_INFO = 40, 30, 20
# When the worker has this var or secret, the /workflow/* endpoints need `Authorization: Bearer <it>`.
TOKEN_BINDING = "PYMODE_WORKFLOW_TOKEN"
MAX_LISTED_RUNS = 100
FINISHED = ("completed", "failed", "cancelled")
# What /workflow/run does when another run of the same workflow has not finished.
CONCURRENCY_POLICIES = ("Allow", "Forbid", "Replace")

# Workflow names as the PyModeWorkflow CRD accepts them. Run ids may also contain ':' and be
# longer (the operator uses "<resource name (up to 253)>-<epoch seconds>").
_WORKFLOW_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,299}$")
_registry = {}
# Runs being executed by this interpreter right now (an executor that is alive).
_active = set()


class WorkflowError(Exception):
    """A workflow request cannot be served (unknown workflow, conflicting id, ...)."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.status = status


def registered():
    """The workflows defined so far, by name."""
    return dict(_registry)


def get(name):
    try:
        return _registry[name]
    except KeyError:
        known = ", ".join(sorted(_registry)) or "none"
        raise WorkflowError(f"no workflow named {name!r} (defined: {known})", 404) from None


def _clear_registry():
    """Forget every workflow (the handler does this when it unloads a project)."""
    _registry.clear()


class _Step:
    """A step and its retry policy. `own` holds the options the step set itself; the
    others come from the run's defaults (a PyModeWorkflow's `retry`) or the Workflow's."""

    def __init__(self, fn, name, own):
        self.fn = fn
        self.name = name
        self.own = own

    def policy(self, defaults):
        """(retries, backoff, factor): the step's own options over `defaults`."""
        merged = {**defaults, **self.own}
        return merged["retries"], float(merged["backoff"]), float(merged["factor"])

    @staticmethod
    def delay(attempts, policy):
        """Seconds to wait after failed attempt number `attempts` (1-based)."""
        _, backoff, factor = policy
        return backoff * (factor ** (attempts - 1))


class Context:
    """What a step receives: `input`, `results` (finished steps by name), `id`,
    `workflow`, `step`, `attempt` (1 for the first try) and `env`."""

    def __init__(self, workflow, run_id, input, results, step, attempt, env):
        self.workflow = workflow
        self.id = run_id
        self.input = input
        self.results = results
        self.step = step
        self.attempt = attempt
        self.env = env

    @property
    def workflow_id(self):
        """The run's id under upstream PyMode's name."""
        return self.id

    def __repr__(self):
        return f"<workflow {self.workflow} run {self.id} step {self.step} attempt {self.attempt}>"


def _check_retry_policy(retries, backoff, factor):
    if isinstance(retries, bool) or not isinstance(retries, int) or not 0 <= retries <= MAX_RETRIES:
        raise ValueError(f"retries must be an int between 0 and {MAX_RETRIES}, got {retries!r}")
    if isinstance(backoff, bool) or not isinstance(backoff, (int, float)) or backoff < 0:
        raise ValueError(f"backoff must be a number of seconds >= 0, got {backoff!r}")
    if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not 1 <= factor <= 10:
        raise ValueError(f"factor must be a number between 1 and 10, got {factor!r}")


class Workflow:
    """A named sequence of steps. `retries`/`backoff`/`factor` are the defaults for
    steps that do not set their own; `lease` is how long a step may run before an
    alarm checks whether its executor died (Durable Object hosts)."""

    def __init__(self, name, *, retries=0, backoff=1.0, factor=2.0, lease=DEFAULT_LEASE):
        if not isinstance(name, str) or not _WORKFLOW_NAME.match(name):
            raise ValueError(f"workflow name must match {_WORKFLOW_NAME.pattern}, got {name!r}")
        _check_retry_policy(retries, backoff, factor)
        if name in _registry:
            raise ValueError(f"a workflow named {name!r} is already defined")
        self.name = name
        self.retries = retries
        self.backoff = float(backoff)
        self.factor = float(factor)
        self.lease = float(lease)
        self.steps = []
        _registry[name] = self

    def __repr__(self):
        return f"<Workflow {self.name}: {' -> '.join(s.name for s in self.steps)}>"

    def _defaults(self, record=None):
        """Retry defaults for steps without their own: the run's (from the caller), else the Workflow's."""
        defaults = {"retries": self.retries, "backoff": self.backoff, "factor": self.factor}
        if record is not None and record.get("retry"):
            defaults.update(record["retry"])
        return defaults

    def step(self, fn=None, *, retries=None, backoff=None, factor=None, name=None, timeout=None):
        """Decorator: `@wf.step` or `@wf.step(retries=3, backoff=2.0, factor=2.0, name=...)`. `timeout` is upstream
        PyMode's option, accepted and, as there, not enforced (a warning in the log says so)."""

        def register(func):
            step_name = name or func.__name__
            if timeout is not None:
                _abi.log(LOG_WARNING, f"pymode.workflows: {self.name} step {step_name}: timeout={timeout!r} is accepted "
                                      "for upstream PyMode's API but not enforced (as upstream): a step runs to its end")
            if any(s.name == step_name for s in self.steps):
                raise ValueError(f"workflow {self.name!r} already has a step named {step_name!r}")
            own = {k: v for k, v in (("retries", retries), ("backoff", backoff), ("factor", factor)) if v is not None}
            merged = {**self._defaults(), **own}
            _check_retry_policy(merged["retries"], merged["backoff"], merged["factor"])
            self.steps.append(_Step(func, step_name, own))
            return func

        if fn is not None:
            if not callable(fn):
                raise TypeError("@workflow.step takes a function; use @workflow.step(retries=..., backoff=...) for options")
            return register(fn)
        return register

    # --- the public API ------------------------------------------------------------

    def run(self, input=None, id=None, env=None, *, concurrency="Allow", retry=None, trigger=None):
        """Start a run (or return the existing run with this id) and drive it as
        far as it can go now -> its status document. `concurrency` decides what
        happens when another run of this workflow is unfinished: Allow, Forbid
        (nothing starts; state "skipped") or Replace (those runs are cancelled).
        `retry` ({"retries", "backoff", "factor"}) overrides the Workflow's defaults
        for steps that set none of their own."""
        return _status(self._start(input, id, env, concurrency=concurrency, retry=retry, trigger=trigger))

    def status(self, run_id):
        record = _Store().get(RUN_PREFIX + run_id)
        if record is None or record.get("workflow") != self.name:
            raise WorkflowError(f"no run {run_id!r} of workflow {self.name!r}", 404)
        return _status(record)

    def resume(self, run_id, env=None):
        record = _Store().get(RUN_PREFIX + run_id)
        if record is None or record.get("workflow") != self.name:
            raise WorkflowError(f"no run {run_id!r} of workflow {self.name!r}", 404)
        return _status(self._drive(record, env))

    def info(self):
        """Upstream PyMode's description: the name and each step's retries and backoff (as they apply by default)."""
        defaults = self._defaults()
        steps = []
        for step in self.steps:
            retries, backoff, _ = step.policy(defaults)
            steps.append({"name": step.name, "retries": retries, "backoff": backoff})
        return {"name": self.name, "steps": steps}

    def resume_journal(self, run_id, journal=None, input=None, env=None):
        """Upstream PyMode's resume: a stored run with this id continues (a failed one is reopened at its failed
        step; finished steps keep their stored results); without one, a run starts whose steps named in the
        journal's `completed_steps` count as done with the journal's `results`. -> the run's record."""
        if not isinstance(run_id, str) or not _NAME.match(run_id):
            raise WorkflowError(f"workflow_id must match {_NAME.pattern}, got {run_id!r}")
        store = _Store()
        record = store.get(RUN_PREFIX + run_id)
        if record is None:
            done = self._journal_results(journal)
            return self._start({} if input is None else input, run_id, env, completed=done)
        if record.get("workflow") != self.name:
            raise WorkflowError(f"run id {run_id!r} belongs to workflow {record.get('workflow')!r}", 409)
        if input is not None and record.get("input") != input:
            raise WorkflowError(f"run {run_id!r} already exists with a different input", 409)
        if record["state"] == "cancelled":
            raise WorkflowError(f"run {run_id!r} was cancelled ({record.get('error')}); start a new run", 409)
        if record["state"] == "failed":
            self._reopen(store, record)
        return self._drive(record, env)

    def _journal_results(self, journal):
        """Step name -> result of the steps an upstream journal lists as completed (validated)."""
        if journal is None:
            return {}
        if not isinstance(journal, dict):
            raise WorkflowError('journal must be an object {"completed_steps": [...], "results": {...}}')
        names = journal.get("completed_steps", [])
        results = journal.get("results", {})
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise WorkflowError("journal.completed_steps must be a list of step names")
        if not isinstance(results, dict):
            raise WorkflowError("journal.results must be an object of step name -> result")
        known = [s.name for s in self.steps]
        unknown = [n for n in names if n not in known]
        if unknown:
            raise WorkflowError(f"journal.completed_steps names steps workflow {self.name!r} does not have: "
                                f"{', '.join(unknown)} (its steps: {', '.join(known)})")
        missing = [n for n in names if n not in results]
        if missing:
            raise WorkflowError(f"journal.results has no result for completed step(s) {', '.join(missing)}")
        return {n: results[n] for n in names}

    def _reopen(self, store, record):
        """A failed run becomes pending again: its failed step starts over with fresh attempts."""
        for entry in record["steps"]:
            if entry["state"] == "failed":
                entry.update(state="pending", attempts=0)
                entry.pop("error", None)
        record["state"] = "pending"
        record.pop("error", None)
        store.put(WAKE_PREFIX + record["id"], {"at": time.time() + self.lease})
        self._save(store, record)

    # --- the engine -----------------------------------------------------------------

    def _start(self, input, run_id, env, *, concurrency="Allow", retry=None, trigger=None, completed=None):
        try:
            json.dumps(input)
        except (TypeError, ValueError) as exc:
            raise WorkflowError(f"workflow input must be JSON-serialisable: {exc}") from None
        if run_id is None:
            run_id = uuid.uuid4().hex
        if not isinstance(run_id, str) or not _NAME.match(run_id):
            raise WorkflowError(f"run id must match {_NAME.pattern}, got {run_id!r}")
        if concurrency not in CONCURRENCY_POLICIES:
            raise WorkflowError(f"concurrency must be one of {', '.join(CONCURRENCY_POLICIES)}, got {concurrency!r}")
        retry = _run_retry(retry)
        if trigger is not None and (not isinstance(trigger, str) or len(trigger) > 64):
            raise WorkflowError(f"trigger must be a short string, got {trigger!r}")
        store = _Store()
        record = store.get(RUN_PREFIX + run_id)
        if record is not None:
            if record.get("workflow") != self.name:
                raise WorkflowError(f"run id {run_id!r} belongs to workflow {record.get('workflow')!r}", 409)
            if record.get("input") != input:
                raise WorkflowError(f"run {run_id!r} already exists with a different input", 409)
            return self._drive(record, env)  # idempotent: continue it if it is not finished
        others = [r for r in _unfinished(store) if r["workflow"] == self.name]
        if others and concurrency == "Forbid":
            # Nothing is stored: a skipped firing leaves no run behind.
            return {"id": run_id, "workflow": self.name, "state": "skipped", "steps": [],
                    "error": "skipped: run " + ", ".join(r["id"] for r in others) + " has not finished (Forbid)"}
        if concurrency == "Replace":
            for other in others:
                self._cancel(store, other, f"replaced by run {run_id}")
        now = time.time()
        record = {
            "id": run_id, "workflow": self.name, "state": "pending", "input": input,
            "created": now, "updated": now,
            "steps": [{"name": s.name, "state": "pending", "attempts": 0} for s in self.steps],
        }
        for entry in record["steps"]:
            if completed and entry["name"] in completed:  # done elsewhere (an upstream journal): never run here
                entry.update(state="completed", result=completed[entry["name"]], journal=True)
        if retry:
            record["retry"] = retry
        if trigger:
            record["trigger"] = trigger
        store.put(WAKE_PREFIX + run_id, {"at": now + self.lease})
        store.put(RUN_PREFIX + run_id, record)
        return self._drive(record, env)

    def _drive(self, record, env):
        """Advance the run until it finishes or has to wait; wait in-process when
        the host cannot wake us up. Returns the record."""
        run_id = record["id"]
        if run_id in _active or record["state"] in FINISHED:
            return record
        _active.add(run_id)
        store = _Store()
        try:
            while True:
                record = self._advance(store, record, env)
                if record["state"] != "waiting":
                    return record
                if store.alarm(record["not_before"]):
                    return record  # the host resumes the run at not_before
                time.sleep(max(0.0, record["not_before"] - time.time()))
        finally:
            _active.discard(run_id)

    def _entries(self, record):
        """The record's step entries in code order (steps added since the run began are appended)."""
        by_name = {s["name"]: s for s in record["steps"]}
        entries = []
        for step in self.steps:
            entry = by_name.get(step.name) or {"name": step.name, "state": "pending", "attempts": 0}
            entries.append(entry)
        record["steps"] = entries
        return entries

    def _advance(self, store, record, env):
        run_id = record["id"]
        entries = self._entries(record)
        results = {}
        leased = False
        for step, entry in zip(self.steps, entries):
            if entry["state"] == "completed":
                results[step.name] = entry.get("result")
                continue
            if entry["state"] == "failed":
                return self._finish(store, record, "failed")
            if entry["state"] == "running":
                # Persisted as running, yet nobody in this interpreter runs it: the attempt
                # was cut off (eviction, crash, trap, deploy). It counts as a failed attempt.
                outcome = self._failed_attempt(store, record, step, entry,
                                               "attempt interrupted: the worker stopped while the step was running")
                if outcome is not None:
                    return outcome
            while True:
                now = time.time()
                if entry["state"] == "waiting" and now < entry.get("not_before", 0):
                    return self._wait(store, record, entry["not_before"])
                if not leased:
                    # Let the host look at this run again if this executor dies.
                    store.put(WAKE_PREFIX + run_id, {"at": now + self.lease})
                    store.alarm(now + self.lease)
                    leased = True
                ok, value = self._attempt(store, record, step, entry, results, env)
                if ok:
                    break
                outcome = self._failed_attempt(store, record, step, entry, value)
                if outcome is not None:
                    return outcome
            entry.update(state="completed", result=value, finished=time.time())
            entry.pop("error", None)
            try:
                self._save(store, record)  # the result is durable before the next step starts
            except _abi.HostError as exc:
                if exc.status != _abi.STATUS_LIMIT:
                    raise
                entry.update(state="failed", error=f"the step's result cannot be stored: {exc.detail}")
                entry.pop("result", None)
                return self._finish(store, record, "failed")
            results[step.name] = value
        return self._finish(store, record, "completed")

    def _attempt(self, store, record, step, entry, results, env):
        """Run one attempt of `step` -> (True, result) or (False, error text). The
        attempt is persisted as running before the step's code starts."""
        now = time.time()
        entry.update(state="running", attempts=entry.get("attempts", 0) + 1, started=now)
        entry.pop("not_before", None)
        record.pop("not_before", None)
        record["state"] = "running"
        self._save(store, record)
        ctx = Context(self.name, record["id"], record["input"], dict(results), step.name, entry["attempts"], env)
        try:
            value = _entrypoints.completed(step.fn(ctx))
            json.dumps(value)
        except Exception as exc:
            _abi.log(LOG_ERROR, f"pymode.workflows: {self.name} run {record['id']} step {step.name} attempt "
                                f"{entry['attempts']} failed\n{traceback.format_exc()}")
            return False, f"{type(exc).__name__}: {exc}"
        return True, value

    def _failed_attempt(self, store, record, step, entry, detail):
        """Record a failed attempt: schedule a retry (returns None) or fail the run."""
        entry["error"] = detail
        policy = step.policy(self._defaults(record))
        if entry["attempts"] <= policy[0]:
            entry.update(state="waiting", not_before=time.time() + step.delay(entry["attempts"], policy))
            return None
        entry["state"] = "failed"
        return self._finish(store, record, "failed")

    def _wait(self, store, record, not_before):
        record.update(state="waiting", not_before=not_before)
        store.put(WAKE_PREFIX + record["id"], {"at": not_before})  # the index first: it may over-, never under-report
        self._save(store, record)
        return record

    def _finish(self, store, record, state):
        record["state"] = state
        record.pop("not_before", None)
        if state == "failed":
            failed = next((e for e in record["steps"] if e["state"] == "failed"), None)
            if failed is not None:
                record["error"] = f"step {failed['name']} failed after {failed['attempts']} attempt(s): {failed.get('error')}"
        self._save(store, record)
        store.delete(WAKE_PREFIX + record["id"])
        return record

    def _cancel(self, store, record, why):
        record["state"] = "cancelled"
        record["error"] = why
        record.pop("not_before", None)
        for entry in record["steps"]:
            if entry["state"] in ("running", "waiting"):
                entry["state"] = "cancelled"
                entry.pop("not_before", None)
        self._save(store, record)
        store.delete(WAKE_PREFIX + record["id"])

    def _save(self, store, record):
        record["updated"] = time.time()
        store.put(RUN_PREFIX + record["id"], record)


def _run_retry(retry):
    """Validates a run's retry defaults ({"retries", "backoff", "factor"}, each optional)."""
    if retry is None:
        return None
    if not isinstance(retry, dict) or set(retry) - {"retries", "backoff", "factor"}:
        raise WorkflowError('retry must be an object with "retries", "backoff" and/or "factor"')
    try:
        _check_retry_policy(retry.get("retries", 0), retry.get("backoff", 0), retry.get("factor", 1))
    except ValueError as exc:
        raise WorkflowError(f"retry: {exc}") from None
    return dict(retry)


def _unfinished(store):
    """Records of runs that have not finished (from the wake index, which lists every one)."""
    for key in list(store.keys(WAKE_PREFIX)):
        record = store.get(RUN_PREFIX + key[len(WAKE_PREFIX):])
        if record is not None and record.get("state") not in FINISHED:
            yield record


# --- storage ---------------------------------------------------------------------------


class _Store:
    """JSON values in the Durable Object storage of this worker (host kind do_storage)."""

    def get(self, key):
        meta, blobs = _abi.call(STORAGE_KIND, "", "get", {"key": key})
        if not meta.get("found"):
            return None
        return json.loads(blobs[0].decode("utf-8"))

    def put(self, key, value):
        _abi.call(STORAGE_KIND, "", "put", {"key": key}, _abi.dump_json(value))

    def delete(self, key):
        _abi.call(STORAGE_KIND, "", "delete", {"key": key})

    def keys(self, prefix):
        cursor = None
        while True:
            args = {"prefix": prefix}
            if cursor:
                args["cursor"] = cursor
            meta, _ = _abi.call(STORAGE_KIND, "", "list", args)
            for key in meta["keys"]:
                yield key["name"]
            if meta.get("list_complete", True):
                return
            cursor = meta.get("cursor")

    def alarm(self, at):
        """Ask the host to wake this worker at `at`; True when it will."""
        meta, _ = _abi.call(STORAGE_KIND, "", "alarm", {"at": at})
        return bool((meta or {}).get("alarm"))


def _status(record):
    out = {"id": record["id"], "workflow": record["workflow"], "state": record["state"], "steps": []}
    for entry in record["steps"]:
        step = {"name": entry["name"], "state": entry["state"], "attempts": entry.get("attempts", 0)}
        if entry["state"] == "completed":
            step["result"] = entry.get("result")
            if entry.get("journal"):
                step["from_journal"] = True
        elif entry.get("error"):
            step["error"] = entry["error"]
        if entry.get("not_before") is not None:
            step["not_before"] = entry["not_before"]
        out["steps"].append(step)
    if record.get("error"):
        out["error"] = record["error"]
    if record.get("trigger"):
        out["trigger"] = record["trigger"]
    if record.get("not_before") is not None:
        out["not_before"] = record["not_before"]
    out["created"], out["updated"] = record.get("created"), record.get("updated")
    return out


def resume_due(env=None, now=None):
    """Drive every unfinished run whose wake-up time has come, then ask the host to
    wake us for the next one -> the ids that were driven."""
    store = _Store()
    now = time.time() if now is None else now
    driven, next_at = [], None
    for key in list(store.keys(WAKE_PREFIX)):
        run_id = key[len(WAKE_PREFIX):]
        wake = store.get(key)
        record = store.get(RUN_PREFIX + run_id)
        if record is None or record.get("state") in FINISHED:
            store.delete(key)
            continue
        at = (wake or {}).get("at", 0)
        if at > now:
            next_at = at if next_at is None else min(next_at, at)
            continue
        workflow = _registry.get(record.get("workflow"))
        if workflow is None:
            _abi.log(LOG_ERROR, f"pymode.workflows: run {run_id} belongs to workflow {record.get('workflow')!r}, "
                                "which this worker no longer defines; leaving it")
            continue
        try:
            record = workflow._drive(record, env)
        except Exception:
            _abi.log(LOG_ERROR, f"pymode.workflows: resuming run {run_id} failed\n{traceback.format_exc()}")
            continue
        driven.append(run_id)
        if record["state"] == "waiting":
            next_at = record["not_before"] if next_at is None else min(next_at, record["not_before"])
    if next_at is not None:
        store.alarm(next_at)
    return driven


# --- HTTP --------------------------------------------------------------------------------


def list_runs(workflow=None, limit=20):
    """Status documents of stored runs (of `workflow`, if given), newest first."""
    store = _Store()
    records = []
    for key in store.keys(RUN_PREFIX):
        record = store.get(key)
        if record is not None and (workflow is None or record.get("workflow") == workflow):
            records.append(record)
    records.sort(key=lambda r: (r.get("created") or 0, r["id"]), reverse=True)
    return [_status(r) for r in records[:limit]]


def _authorised(request, env):
    token = env.get(TOKEN_BINDING) if env is not None and hasattr(env, "get") else None
    if not token:
        return True
    sent = request.headers.get("authorization") or ""
    return sent.startswith("Bearer ") and hmac.compare_digest(sent[len("Bearer "):].encode(), token.encode())


def handle_http(request, env):
    """Serve /workflow/run, /workflow/status, /workflow/resume, /workflow/runs, upstream PyMode's
    /workflow/info (and its shapes of run and resume) and the host's alarm (`POST /__pymode/alarm`)
    -> a `Response`."""
    from .workers import Response

    try:
        if request.path != "/__pymode/alarm" and not _authorised(request, env):
            return Response.json({"error": "missing or wrong bearer token (PYMODE_WORKFLOW_TOKEN)"}, status=401,
                                 headers={"www-authenticate": "Bearer"})
        if request.path == "/workflow/info":
            _method(request, "GET")
            return Response.json(_the_workflow(_query_workflow(request)).info())
        if request.path == "/workflow/runs":
            _method(request, "GET")
            name = (request.query.get("workflow") or [None])[0]
            raw_limit = (request.query.get("limit") or ["20"])[0]
            if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_LISTED_RUNS:
                raise WorkflowError(f"limit must be an integer between 1 and {MAX_LISTED_RUNS}")
            return Response.json({"runs": list_runs(name, int(raw_limit))})
        if request.path == "/workflow/status":
            _method(request, "GET")
            run_id = (request.query.get("id") or [""])[0]
            if not run_id:
                raise WorkflowError("status needs ?id=<run id>")
            record = _Store().get(RUN_PREFIX + run_id)
            if record is None:
                raise WorkflowError(f"no workflow run {run_id!r}", 404)
            return Response.json(_status(record))
        _method(request, "POST")
        if request.path == "/__pymode/alarm":
            return Response.json({"resumed": resume_due(env)})
        body = _json_body(request)
        if request.path == "/workflow/run":
            if "workflow" not in body:
                return Response.json(_upstream_run(body, env, _query_workflow(request)))
            name = body.get("workflow")
            if not isinstance(name, str):
                raise WorkflowError('run needs {"workflow": name, "input": ..., "id"?: ...}')
            record = get(name)._start(body.get("input"), body.get("id"), env,
                                      concurrency=body.get("concurrency", "Allow"), retry=body.get("retry"),
                                      trigger=body.get("trigger"))
            answer = {"id": record["id"], "state": record["state"]}
            if record["state"] == "skipped":
                answer["reason"] = record["error"]
            return Response.json(answer)
        # /workflow/resume
        if "workflow_id" in body:
            return Response.json(_upstream_resume(body, env, body.get("workflow") or _query_workflow(request)))
        run_id = body.get("id")
        if run_id is None:
            return Response.json({"resumed": resume_due(env)})
        record = _Store().get(RUN_PREFIX + str(run_id))
        if record is None:
            raise WorkflowError(f"no workflow run {run_id!r}", 404)
        status = _status(get(record["workflow"])._drive(record, env))
        return Response.json({"id": status["id"], "state": status["state"]})
    except WorkflowError as exc:
        return Response.json({"error": str(exc)}, status=exc.status)


# --- upstream PyMode's shapes -----------------------------------------------------------


def _the_workflow(name=None):
    """The workflow an upstream-shaped request means: the named one, else the only one defined."""
    if name is not None:
        if not isinstance(name, str):
            raise WorkflowError(f"workflow must be a workflow name, got {name!r}")
        return get(name)
    if len(_registry) == 1:
        return next(iter(_registry.values()))
    raise WorkflowError(f"this worker defines several workflows ({', '.join(sorted(_registry))}); name one with "
                        '"workflow" in the body or ?workflow=NAME')


def _query_workflow(request):
    return (request.query.get("workflow") or [None])[0]


def _upstream_run(body, env, name=None):
    """POST /workflow/run {"workflow_id"?, "input"} -> upstream's result document."""
    workflow = _the_workflow(name)
    run_id = body.get("workflow_id")
    if run_id is None:
        # upstream's id is "<name>_<epoch seconds>"; the suffix keeps two runs in one second apart
        run_id = f"{workflow.name}_{int(time.time())}_{uuid.uuid4().hex[:8]}"
    elif not isinstance(run_id, str):
        raise WorkflowError(f"workflow_id must be a string, got {run_id!r}")
    input = body.get("input", {})
    return _upstream_result(workflow, workflow._start(input, run_id, env))


def _upstream_resume(body, env, name=None):
    """POST /workflow/resume {"workflow_id", "journal"?, "input"?} -> upstream's result document."""
    run_id = body.get("workflow_id")
    if not run_id:
        raise WorkflowError("workflow_id required")
    stored = _Store().get(RUN_PREFIX + run_id) if name is None and isinstance(run_id, str) else None
    workflow = get(stored["workflow"]) if stored is not None else _the_workflow(name)
    return _upstream_result(workflow, workflow.resume_journal(run_id, body.get("journal"), body.get("input"), env))


def _upstream_result(workflow, record):
    """A run as upstream PyMode reports it: {"workflow_id", "status", "results", "error"?}. A failed step's
    error is {"step", "attempt", "max_attempts", "error"} (the traceback is in the worker's log, not here)."""
    results = {e["name"]: e.get("result") for e in record["steps"] if e["state"] == "completed"}
    out = {"workflow_id": record["id"], "status": record["state"], "results": results}
    failed = next((e for e in record["steps"] if e["state"] == "failed"), None)
    if record["state"] == "failed" and failed is not None:
        step = next((s for s in workflow.steps if s.name == failed["name"]), None)
        retries = step.policy(workflow._defaults(record))[0] if step is not None else failed["attempts"] - 1
        out["error"] = {"step": failed["name"], "attempt": failed["attempts"], "max_attempts": retries + 1,
                        "error": failed.get("error")}
    elif record.get("error"):
        out["error"] = record["error"]
    if record.get("not_before") is not None:
        out["not_before"] = record["not_before"]  # waiting for a retry: the host resumes it then
    return out


def _method(request, method):
    if request.method != method:
        raise WorkflowError(f"{request.path} takes {method}, not {request.method}", 405)


def _json_body(request):
    if not request.body:
        return {}
    try:
        body = request.json()
    except ValueError as exc:
        raise WorkflowError(f"request body is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise WorkflowError("request body must be a JSON object")
    return body
