"""`pymode.parallel` fan-out for the native host: the `tasks` op of the `http`
import (docs/abi.md §7). Each task runs in a fresh Python subprocess (its own
interpreter and CPU, like a ThreadDO), with PYMODE_ROLE=thread, the same
project entry, state directory and bindings; at most `limit` at once.

The child (`python -m pymode._native.tasks CONFIG_JSON`) reads the request
frames on stdin and writes the response frames of `pymode._handler.handle`
to stdout; anything the task prints goes to stderr.
"""

import concurrent.futures
import json
import os
import subprocess
import sys

from .. import _abi
from ._common import Fail, arg, invalid, limit as limit_error

MAX_TASKS = 64
MAX_CONCURRENCY = 32
TASK_URL = "https://pymode.internal/__pymode/thread"


def run_tasks(args, blobs, config, timeout=None):
    """Run every payload in `blobs` as a task -> ({"results": [...]}, bodies)."""
    if os.environ.get("PYMODE_ROLE") == "thread":
        raise Fail(_abi.STATUS_NOT_SUPPORTED, "NOT_SUPPORTED", "a task cannot spawn tasks (no nested fan-out)")
    tasks = arg(args, "tasks", list, required=True)
    concurrency = arg(args, "limit", int, default=6)
    if len(tasks) != len(blobs):
        raise invalid(f"tasks lists {len(tasks)} entries but {len(blobs)} payloads were sent")
    if not tasks:
        raise invalid("tasks must not be empty")
    if len(tasks) > MAX_TASKS:
        raise limit_error(f"{len(tasks)} tasks in one call; at most {MAX_TASKS}")
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise limit_error(f"limit must be between 1 and {MAX_CONCURRENCY}, got {concurrency}")
    with concurrent.futures.ThreadPoolExecutor(max_workers=concurrency) as pool:
        outcomes = list(pool.map(lambda blob: _run_one(blob, config, timeout), blobs))
    results, bodies = [], []
    for status, body, error in outcomes:
        info = {"status": status}
        if error:
            info["error"] = error
        results.append(info)
        bodies.append(body)
    return {"results": results}, bodies


def _run_one(payload, config, timeout):
    head = {"method": "POST", "url": TASK_URL, "headers": [["content-type", "application/octet-stream"]]}
    request = _abi.encode_frames(b"request", _abi.dump_json(head), payload)
    env = dict(os.environ)
    env["PYMODE_ROLE"] = "thread"
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p and os.path.isdir(p))
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "pymode._native.tasks", json.dumps(config)],
            input=request, stdout=subprocess.PIPE, env=env, timeout=timeout, check=False,
        )
    except subprocess.TimeoutExpired:
        return 503, b"", f"task timed out after {timeout} s"
    except OSError as exc:
        return 503, b"", f"cannot start a task process: {exc}"
    if proc.returncode != 0:
        return 503, b"", f"task process exited with status {proc.returncode}"
    try:
        fields = _abi.decode_frames(proc.stdout)
        meta = _abi.load_json(fields[0], "task response")
        return int(meta["status"]), fields[1] if len(fields) > 1 else b"", None
    except (_abi.FrameError, KeyError, IndexError, TypeError, ValueError) as exc:
        return 503, b"", f"invalid response from the task process: {exc}"


def _child(config):
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # print() in a task goes to stderr, never into the response
    os.environ["PYMODE_ROLE"] = "thread"
    from .. import _handler, _native

    _native.install(config.get("state_dir"), bindings=config.get("bindings"), log_stream=sys.stderr)
    if config.get("entry"):
        try:
            _handler.load(config["entry"], root=config.get("root"))
        except _handler.LoadError:
            pass  # logged; the task still runs if its function is importable
    else:
        _handler._state.attempted = True  # no project: only importable modules, no default entry
    response = _handler.handle(sys.stdin.buffer.read())
    out.write(response)
    out.flush()
    _native.uninstall()


if __name__ == "__main__":
    _child(json.loads(sys.argv[1]))
