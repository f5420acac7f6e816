"""The dev server's event loop for coroutine handlers: their requests interleave where they await, as on the edge.

In workerd the requests of a coroutine handler (`async def on_fetch`, the `workers` module's
`WorkerEntrypoint`) are asyncio tasks of one interpreter (pymode._serve): while one awaits a binding
call, `fetch` or `asyncio.sleep`, the others run. `DevLoop` gives `pymode dev` the same behaviour: one
asyncio event loop in a thread of its own, each request a task on it (`serve`, called from the HTTP
thread of the connection, waits for the task's answer).

An awaited binding call (pymode._abi.acall) finds `start_host_call` on the running loop, as it does on
the edge's serving loop: here the native host's call (pymode._native, which blocks) runs on a thread of
the loop's executor, so the other tasks run meanwhile. Host calls made without `await` (the
`pymode.workers` API, `env.KV.get(...)` called synchronously) block the loop and every request on it,
as they block the interpreter on the edge.
"""

import asyncio
import concurrent.futures
import threading

from .. import _abi, _serve

# Host calls in flight at once; the edge's default for requests one interpreter serves at once
# (PYMODE_POOL_CONCURRENCY) is the same.
MAX_HOST_CALLS = 64


class HostCallLoop(asyncio.SelectorEventLoop):
    """An asyncio loop on which an awaited host call (pymode._abi.acall) runs on a worker thread."""

    def __init__(self, max_calls=MAX_HOST_CALLS):
        super().__init__()
        self._calls = concurrent.futures.ThreadPoolExecutor(max_calls, thread_name_prefix="pymode-dev-call")

    def start_host_call(self, kind, binding, request):
        """The binding op (request frames) for `kind`/`binding`, started now -> a future of (status, payload),
        as pymode._abi.acall expects it: a negative status with error frames, or 0 with result frames."""
        return self.run_in_executor(self._calls, _perform, kind, binding, request)

    def close(self):
        super().close()
        self._calls.shutdown(wait=False, cancel_futures=True)


def _perform(kind, binding, request):
    host = _abi.host()
    try:
        return 0, host.call(kind, binding, request)
    except host.HostError as exc:
        return exc.args[0], exc.args[1] if len(exc.args) > 1 else b""


class DevLoop:
    """A HostCallLoop running in a thread of its own; `serve` hands it requests from other threads."""

    def __init__(self, max_calls=MAX_HOST_CALLS):
        self._loop = HostCallLoop(max_calls)
        self._thread = threading.Thread(target=self._run, name="pymode-dev-loop", daemon=True)

    def start(self):
        self._thread.start()
        return self

    def _run(self):
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()

    def serve(self, request_frames):
        """Serve one request as a task of the loop (pymode._serve.handle_async) -> its response frames.
        Blocks the calling thread, not the loop."""
        return asyncio.run_coroutine_threadsafe(_serve.handle_async(request_frames), self._loop).result()

    def call(self, function, *args):
        """Run `function(*args)` on the loop's thread, between two steps of its tasks -> its result. What
        changes state the tasks read (a reload) runs here, so that no task sees it half done."""
        done = concurrent.futures.Future()

        def run():
            try:
                done.set_result(function(*args))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                done.set_exception(exc)

        self._loop.call_soon_threadsafe(run)
        return done.result()

    def close(self, timeout=5):
        """Stop the loop (tasks still pending are dropped with it) and its thread."""
        if self._loop.is_closed():
            return
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout)
        if not self._thread.is_alive():
            self._loop.close()


__all__ = ["DevLoop", "HostCallLoop", "MAX_HOST_CALLS"]
