"""An asyncio event loop for python.wasm, where the selector loop cannot be created.

On WASI asyncio's selector event loop cannot be created (no socketpair, no
select over sockets), so the stock `asyncio.run()` fails; `MiniLoopPolicy`
makes it (and `new_event_loop()`) use `MiniLoop` instead (pymode._wasi
installs it on python.wasm when asyncio is first imported). Host calls block the wasm
stack instead (Asyncify), which means a handler never needs to wait for I/O
readiness: a loop that only runs callbacks and sleeps for timers is enough.

`MiniLoop` is such a loop. It supports what handlers commonly await: other
coroutines, `asyncio.sleep()` (0 or a delay), `asyncio.gather()`,
`asyncio.create_task()`, `asyncio.wait_for()` / `asyncio.timeout()`, futures
and events resolved by other tasks. It does not support anything that needs
readiness notification or threads: `loop.sock_*`, `asyncio.open_connection`,
subprocesses, signal handlers, `run_in_executor` (they raise
NotImplementedError). On this loop a host call (KV, fetch, ...) blocks the
interpreter, awaited or not; `ServeLoop` below, the loop of the isolate's
serving turns, lets awaited host calls overlap (pymode._abi.acall). Tasks
still pending when the handler returns are cancelled, as `asyncio.run()`
does (except those `outlive_loop` names).
"""

import asyncio
import collections
import contextlib
import contextvars
import heapq
import sys
import time
import weakref

from . import _abi


def run(awaitable):
    """Drive `awaitable` to completion and return its result."""
    return MiniLoop().run(awaitable)


class MiniLoop(asyncio.AbstractEventLoop):
    """A minimal asyncio event loop: ready callbacks and timers, no I/O."""

    def __init__(self):
        self._ready = collections.deque()
        self._timers = []
        self._running = False
        self._closed = False

    # -- the scheduling API asyncio's Future, Task and sleep() rely on ------------

    def time(self):
        return time.monotonic()

    def get_debug(self):
        return False

    def is_running(self):
        return self._running

    def is_closed(self):
        return self._closed

    def close(self):
        self._closed = True
        self._ready.clear()
        self._timers.clear()

    def call_soon(self, callback, *args, context=None):
        handle = asyncio.Handle(callback, args, self, context)
        self._ready.append(handle)
        return handle

    call_soon_threadsafe = call_soon

    def call_later(self, delay, callback, *args, context=None):
        return self.call_at(self.time() + delay, callback, *args, context=context)

    def call_at(self, when, callback, *args, context=None):
        handle = asyncio.TimerHandle(when, callback, args, self, context)
        heapq.heappush(self._timers, handle)
        return handle

    def _timer_handle_cancelled(self, handle):
        pass  # cancelled timers are skipped when they come due

    def create_future(self):
        return asyncio.Future(loop=self)

    def create_task(self, coro, *, name=None, context=None):
        return asyncio.Task(coro, loop=self, name=name, context=context)

    def call_exception_handler(self, context):
        # Errors nobody awaited (e.g. a failed background task): log them.
        message = context.get("message", "unhandled error in the event loop")
        exc = context.get("exception")
        _abi.log(30, f"pymode: {message}" + (f": {type(exc).__name__}: {exc}" if exc else ""))

    def default_exception_handler(self, context):
        self.call_exception_handler(context)

    # -- running --------------------------------------------------------------------

    def run(self, awaitable):
        """Run `awaitable` as the main task, then cancel leftover tasks and close."""
        try:
            with self._running_here():
                main = asyncio.ensure_future(awaitable, loop=self)
                try:
                    self._run_until(main.done)
                finally:  # also when stalled, so no task is left to die pending
                    self._cancel_leftovers()
                return main.result()
        finally:
            self.close()

    def run_until_complete(self, future):
        """Run until `future` is done and return its result. The loop stays open: `asyncio.run()`
        (asyncio.Runner) calls this several times before it closes the loop."""
        with self._running_here():
            task = asyncio.ensure_future(future, loop=self)
            self._run_until(task.done)
            return task.result()

    @contextlib.contextmanager
    def _running_here(self):
        if self._closed:
            raise RuntimeError("Event loop is closed")
        if self._running:
            raise RuntimeError("This event loop is already running")
        previous = asyncio._get_running_loop()
        asyncio._set_running_loop(self)
        self._running = True
        try:
            yield
        finally:
            self._running = False
            asyncio._set_running_loop(previous)

    def set_debug(self, enabled):
        pass  # no debug mode: nothing here is slow enough to warn about

    async def shutdown_asyncgens(self):
        pass  # asynchronous generators are finalised by the garbage collector (no hooks are installed)

    async def shutdown_default_executor(self, timeout=None):
        pass  # there is no executor (run_in_executor is not supported)

    def _cancel_leftovers(self):
        leftovers = [t for t in asyncio.all_tasks(self) if not t.done() and t not in _outliving]
        for task in leftovers:
            task.cancel()
        try:
            self._run_until(lambda: all(t.done() for t in leftovers))
        except RuntimeError:
            pass  # a task that swallows cancellation and waits forever: give up on it

    def _run_until(self, finished):
        while not finished():
            self._run_once()

    def _run_once(self):
        self._collect_due_timers()
        if not self._ready:
            if not self._timers:
                raise RuntimeError(
                    "the handler awaits something that can never complete: nothing is scheduled "
                    "(PyMode's event loop has no I/O; call host APIs such as KV or fetch directly)"
                )
            time.sleep(max(0.0, self._timers[0].when() - self.time()))
            return
        self._run_ready()

    def _collect_due_timers(self):
        now = self.time()
        while self._timers and (self._timers[0].cancelled() or self._timers[0].when() <= now):
            handle = heapq.heappop(self._timers)
            if not handle.cancelled():
                self._ready.append(handle)

    def _run_ready(self):
        for _ in range(len(self._ready)):
            handle = self._ready.popleft()
            if not handle.cancelled():
                handle._run()


# The request a task serves (pymode._serve): tasks a handler starts inherit it with the context.
current_request = contextvars.ContextVar("pymode_request", default=None)


class ServeLoop(MiniLoop):
    """The event loop of pymode._serve for coroutine handlers, run in turns. Each request is a task; an
    awaited binding call (pymode._abi.acall) asks the host to start its operation (`start_host_call`) and
    lets other tasks run. A turn runs every ready callback, then returns, leaving the tasks suspended in the
    interpreter; the host starts the next turn when something happened (a request came, a host call
    finished, a timer came due), from the request the event belongs to."""

    def __init__(self, handle_request):
        super().__init__()
        self._handle_request = handle_request  # coroutine function: request frames -> response frames
        self._requests = {}  # request id -> its task
        self._calls = {}  # host call id -> future of (status, payload)

    def start_host_call(self, kind, binding, request):
        """Ask the host to start a binding op for the current task's request -> a future of (status, payload)."""
        from . import _serve

        meta, _ = _serve.host("start", {"kind": kind, "binding": binding, "owner": current_request.get()}, request)
        call = meta["call"]
        future = self.create_future()
        self._calls[call] = future
        future.add_done_callback(lambda _: self._calls.pop(call, None))  # also when its task is cancelled
        return future

    def turn(self):
        """Run until nothing is ready -> seconds until the next timer, or None."""
        from . import _serve

        with self._running_here():
            first = True
            while True:
                # Events that arrived while a callback waited on a synchronous host call are taken too.
                self._take(_serve.host("next", {"concurrent": True} if first else {}))
                first = False
                self._collect_due_timers()
                if not self._ready:
                    break
                self._run_ready()
        while self._timers and self._timers[0].cancelled():
            heapq.heappop(self._timers)
        return max(0.0, self._timers[0].when() - self.time()) if self._timers else None

    def _take(self, result):
        """Apply the host's events: new requests become tasks, finished calls resolve their futures,
        cancelled requests (past their time budget) cancel their tasks."""
        meta, blobs = result
        blobs = iter(blobs)
        for request in meta["requests"]:
            frames = next(blobs)
            token = current_request.set(request)
            try:
                self._requests[request] = self.create_task(self._serve_one(request, frames))
            finally:
                current_request.reset(token)
        for call, status in meta["calls"]:
            payload = next(blobs)
            future = self._calls.pop(call, None)
            if future is not None and not future.done():
                future.set_result((status, payload))
        for request in meta["cancel"]:
            task = self._requests.get(request)
            if task is not None:
                task.cancel()

    async def _serve_one(self, request, frames):
        from . import _serve

        try:
            response = await self._handle_request(frames)
        except asyncio.CancelledError:
            return  # past its time budget: the host has answered it
        finally:
            self._requests.pop(request, None)
        _serve.respond(request, response)


@contextlib.contextmanager
def outside_running_loop():
    """Run synchronous code of a task as if no loop were running, so that it may start its own
    (`asyncio.run()` in a synchronous handler served by pymode._serve)."""
    previous = asyncio._get_running_loop()
    asyncio._set_running_loop(None)
    try:
        yield
    finally:
        asyncio._set_running_loop(previous)


_outliving = weakref.WeakSet()


def outlive_loop(task):
    """Leave `task` pending when its loop ends instead of cancelling it (an ASGI app's lifespan, whose shutdown
    would otherwise run at the end of the first request served by a loop of its own)."""
    _outliving.add(task)
    # Once its loop has ended nothing references it: collected pending, it would log "Task was destroyed but it is
    # pending!" (asyncio's run_until_complete silences its own task the same way).
    task._log_destroy_pending = False


# -- asyncio.run() and new_event_loop() on python.wasm ------------------------------


class MiniLoopPolicy(asyncio.DefaultEventLoopPolicy):
    """Every new event loop is a MiniLoop, so `asyncio.run()` and libraries that make their own loop work."""

    def new_event_loop(self):
        return MiniLoop()


def install_policy():
    """Make MiniLoop asyncio's loop (python.wasm: the selector loop cannot be created there)."""
    if not isinstance(asyncio.get_event_loop_policy(), MiniLoopPolicy):
        asyncio.set_event_loop_policy(MiniLoopPolicy())


if sys.platform == "wasi":
    # pymode._wasi.patches sets this up when user code imports asyncio first; when an async handler makes this
    # module the first importer, the patch defers to here
    install_policy()
