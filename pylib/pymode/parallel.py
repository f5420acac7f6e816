"""`pymode.parallel`: run functions in parallel, each in its own instance.

    from pymode.parallel import spawn, gather

    def resize(key, width):              # a module-level function
        ...
    tasks = [spawn(resize, k, 256) for k in keys]
    thumbs = gather(*tasks)              # results in task order

On Cloudflare every task runs in its own `ThreadDO` (its own python.wasm
instance, CPU budget and memory); on the node host in a fresh instance;
natively in a fresh Python subprocess. `gather` submits all pending tasks in
ONE host call (`http` import, op `tasks`, docs/abi.md §7), so the calling
interpreter suspends once while the host runs them concurrently.

Serialization: each task crosses as `pickle` of `{"v", "fn", "args", "kwargs"}`.
Functions are pickled *by reference* (module and qualified name), so `fn`
must be importable by name in the task's interpreter: a module-level function
of the project (or of an installed package). Lambdas, nested functions,
closures and bound methods of local objects are refused with a TypeError
before anything is sent. Arguments and results must be picklable. The task
interpreter imports the worker's entry first, so functions defined in the
entry module work.

Errors: a task that raises makes `gather` raise the *same exception type*
(when it can be unpickled; otherwise `TaskError`), with the task's traceback
text as its `__cause__` (a `RemoteTraceback`) and as `.remote_traceback`.
A task whose instance crashed (trap, limits) raises `TaskError`.

Limits: at most `MAX_TASKS` (64) tasks per `gather` and at most
`MAX_CONCURRENCY` (32) running at once (`limit=`, default
`DEFAULT_CONCURRENCY` = 6); the host refuses more with LIMIT_EXCEEDED. A
task cannot itself spawn tasks (no nested fan-out).
"""

import os
import pickle
import traceback

from . import _abi, _entrypoints

__all__ = [
    "spawn", "gather", "map", "map_parallel", "Task", "TaskError", "RemoteTraceback", "FanOutLimitError",
    "MAX_TASKS", "MAX_CONCURRENCY", "DEFAULT_CONCURRENCY",
]

MAX_TASKS = 64
MAX_CONCURRENCY = 32
DEFAULT_CONCURRENCY = 6
PAYLOAD_VERSION = 1
# The request path a task arrives on in the task's interpreter (PYMODE_ROLE=thread).
TASK_PATH = "/__pymode/thread"
TASK_URL = "https://pymode.internal" + TASK_PATH
RESULT_CONTENT_TYPE = "application/vnd.pymode.task+pickle"
ROLE_ENV = "PYMODE_ROLE"


class TaskError(RuntimeError):
    """A task failed without a re-raisable exception: its instance crashed, the
    host refused it, or its exception could not be unpickled."""

    def __init__(self, message, remote_traceback=None):
        super().__init__(message)
        self.remote_traceback = remote_traceback


class RemoteTraceback(Exception):
    """Carries a task's traceback text as the `__cause__` of the re-raised error."""

    def __init__(self, text):
        super().__init__(text)
        self.text = text

    def __str__(self):
        return f'\n"""\n{self.text.rstrip()}\n"""'


class FanOutLimitError(ValueError):
    """More tasks (or more concurrency) than `pymode.parallel` allows."""


_PENDING, _DONE, _FAILED = "pending", "done", "failed"


class Task:
    """A handle for one spawned call. `gather()` runs it; `result()` runs it alone
    if it has not run yet, then returns its value (or raises its error)."""

    def __init__(self, fn, args, kwargs):
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.payload = _encode_payload(fn, args, kwargs)
        self._state = _PENDING
        self._value = None

    @property
    def done(self):
        return self._state != _PENDING

    def result(self):
        if self._state == _PENDING:
            _run([self], DEFAULT_CONCURRENCY)
        if self._state == _FAILED:
            raise self._value
        return self._value

    join = result  # upstream PyMode's name

    def exception(self):
        """The task's error (None if it succeeded); runs it if still pending."""
        try:
            self.result()
        except BaseException as exc:  # noqa: B036 - the task's error, whatever it is
            return exc
        return None

    def _settle(self, ok, value):
        self._state = _DONE if ok else _FAILED
        self._value = value

    def __repr__(self):
        return f"<pymode.parallel.Task {_describe(self.fn)} {self._state}>"


def spawn(fn, *args, **kwargs):
    """A pending task calling `fn(*args, **kwargs)` in its own instance.

    Serialises immediately, so unpicklable functions or arguments fail here
    (TypeError) rather than inside `gather`."""
    return Task(fn, args, kwargs)


def gather(*tasks, limit=DEFAULT_CONCURRENCY, return_exceptions=False):
    """Run the pending `tasks` concurrently (one host call) -> their results, in order.

    With `return_exceptions=True` a failed task's exception is returned in its
    place; otherwise the first failed task (in argument order) is raised.
    """
    if len(tasks) == 1 and isinstance(tasks[0], (list, tuple)) and not _is_call(tasks[0]):
        tasks = tuple(tasks[0])
    tasks = tuple(spawn(t[0], *t[1], **(t[2] if len(t) > 2 else {})) if _is_call(t) else t for t in tasks)
    for t in tasks:
        if not isinstance(t, Task):
            raise TypeError(f"gather() takes tasks from spawn() or (fn, args[, kwargs]) tuples, got {type(t).__name__}")
    pending = []
    for t in tasks:
        if not t.done and t not in pending:
            pending.append(t)
    if pending:
        _run(pending, limit)
    results = []
    for t in tasks:
        if t._state == _FAILED:
            if not return_exceptions:
                raise t._value
            results.append(t._value)
        else:
            results.append(t._value)
    return results


def map(fn, iterable, limit=DEFAULT_CONCURRENCY):  # noqa: A001 - mirrors the builtin on purpose
    """`[fn(x) for x in iterable]`, each call a task; at most MAX_TASKS items."""
    return gather(*[spawn(fn, item) for item in iterable], limit=limit)


def map_parallel(fn, items, max_concurrent=DEFAULT_CONCURRENCY):
    """`map` under upstream PyMode's name."""
    return map(fn, items, limit=max_concurrent)


def _is_call(item):
    """An upstream-style `(fn, args[, kwargs])` tuple rather than a task."""
    return (isinstance(item, tuple) and len(item) in (2, 3) and callable(item[0]) and not isinstance(item[0], Task)
            and isinstance(item[1], (tuple, list)))


# --- the caller side -------------------------------------------------------------


def _describe(fn):
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


def _check_function(fn):
    if not callable(fn):
        raise TypeError(f"spawn() needs a function, got {type(fn).__name__}")
    target = getattr(fn, "__func__", fn)  # bound methods pickle by their instance + name
    qualname = getattr(target, "__qualname__", None)
    module = getattr(target, "__module__", None)
    if qualname is None or module is None:
        return  # builtins and other callables: pickle decides
    if "<lambda>" in qualname:
        raise TypeError(
            f"pymode.parallel: cannot send lambda {module}.{qualname} to a task; tasks receive "
            "functions by module and name, so define a module-level function (def) instead"
        )
    if "<locals>" in qualname:
        raise TypeError(
            f"pymode.parallel: cannot send {module}.{qualname} to a task: it is a nested function "
            "or closure, which another interpreter cannot import by name; move it to module level "
            "and pass what it captured as arguments"
        )
    if module == "__main__":
        raise TypeError(
            f"pymode.parallel: {qualname} is defined in __main__, which a task's interpreter "
            "cannot import; put it in a module of the project"
        )


def _encode_payload(fn, args, kwargs):
    _check_function(fn)
    try:
        return pickle.dumps(
            {"v": PAYLOAD_VERSION, "fn": fn, "args": tuple(args), "kwargs": dict(kwargs)},
            protocol=pickle.HIGHEST_PROTOCOL,
        )
    except (pickle.PicklingError, TypeError, AttributeError) as exc:
        raise TypeError(
            f"pymode.parallel: cannot serialise the call {_describe(fn)}(...) for a task "
            f"(function and arguments must be picklable): {exc}"
        ) from exc


def _run(tasks, limit):
    if os.environ.get(ROLE_ENV) == "thread":
        raise RuntimeError("pymode.parallel: a task cannot spawn tasks (no nested fan-out)")
    if len(tasks) > MAX_TASKS:
        raise FanOutLimitError(f"pymode.parallel: {len(tasks)} tasks in one gather; at most {MAX_TASKS} are allowed")
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_CONCURRENCY:
        raise FanOutLimitError(f"pymode.parallel: limit must be an int between 1 and {MAX_CONCURRENCY}, got {limit!r}")
    try:
        meta, blobs = _abi.call(
            "tasks", "", "run",
            {"tasks": [{"name": _describe(t.fn)} for t in tasks], "limit": limit},
            *[t.payload for t in tasks],
        )
    except _abi.HostError as exc:
        cls = FanOutLimitError if exc.status == _abi.STATUS_LIMIT else TaskError
        raise cls(f"pymode.parallel: the host did not run the tasks: {exc.detail} ({exc.code})") from exc
    results = (meta or {}).get("results")
    if not isinstance(results, list) or len(results) != len(tasks) or len(blobs) != len(tasks):
        raise TaskError(f"pymode.parallel: the host answered {len(blobs)} results for {len(tasks)} tasks")
    for task, info, body in zip(tasks, results, blobs):
        ok, value = _decode_outcome(task, info, body)
        task._settle(ok, value)


def _decode_outcome(task, info, body):
    status = info.get("status") if isinstance(info, dict) else None
    name = _describe(task.fn)
    if status != 200:
        detail = info.get("error") if isinstance(info, dict) else None
        if not detail:
            detail = body.decode("utf-8", "replace")[:2000] or "no detail"
        return False, TaskError(f"task {name} did not run to completion (status {status}): {detail}")
    try:
        outcome = pickle.loads(body)
    except Exception as exc:
        return False, TaskError(f"task {name}: its result cannot be unpickled here: {type(exc).__name__}: {exc}")
    if outcome.get("ok"):
        return True, outcome.get("value")
    tb = outcome.get("traceback") or ""
    exc = None
    if outcome.get("exception") is not None:
        try:
            exc = pickle.loads(outcome["exception"])
        except Exception:
            exc = None
    if not isinstance(exc, BaseException):
        exc = TaskError(f"task {name} failed: {outcome.get('type')}: {outcome.get('message')}", tb)
    exc.__cause__ = RemoteTraceback(tb)
    try:
        exc.remote_traceback = tb
    except AttributeError:
        pass
    return False, exc


# --- the task side (PYMODE_ROLE=thread) -----------------------------------------------


def run_task(payload):
    """Run one task payload -> (status, content type, body). Used by `pymode._handler`
    in a task's interpreter; never raises."""
    try:
        call = pickle.loads(payload)
        if not isinstance(call, dict) or call.get("v") != PAYLOAD_VERSION:
            raise ValueError(f"unknown task payload (version {call.get('v') if isinstance(call, dict) else None!r})")
        fn, args, kwargs = call["fn"], call.get("args", ()), call.get("kwargs", {})
    except Exception as exc:
        outcome = _failure(exc, "cannot decode the task payload: ")
        return 200, RESULT_CONTENT_TYPE, pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
    try:
        value = _entrypoints.completed(fn(*args, **kwargs))
        outcome = {"ok": True, "value": value}
    except BaseException as exc:  # noqa: B036 - SystemExit in a task is the task's failure
        outcome = _failure(exc)
    try:
        body = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:
        body = pickle.dumps(_failure(TypeError(
            f"the result of {_describe(fn)} cannot be pickled back to the caller: {type(exc).__name__}: {exc}")))
    return 200, RESULT_CONTENT_TYPE, body


def _failure(exc, prefix=""):
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    try:
        pickled = pickle.dumps(exc, protocol=pickle.HIGHEST_PROTOCOL)
        pickle.loads(pickled)  # some exceptions pickle but cannot be rebuilt
    except Exception:
        pickled = None
    return {"ok": False, "type": f"{type(exc).__module__}.{type(exc).__qualname__}",
            "message": prefix + str(exc), "traceback": tb, "exception": pickled}

