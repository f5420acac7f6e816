"""The serving loop: the requests of one interpreter interleaved where they await the host.

In the Worker isolate the host (worker/src/runtime/serving.ts) serves requests
through this loop, one turn per internal request `POST /__pymode/serve`. For a
coroutine handler each request is an asyncio task of a ServeLoop
(pymode._aio) that lives from turn to turn; an awaited binding call
(`await env.KV.get(...)`, `await fetch(...)`: pymode._abi.acall) asks the
host to start the operation and lets the other tasks run; a turn returns when
nothing can run, and the host starts the next when something happened. A
synchronous handler is served one request at a time, to its end (its host
calls suspend the whole interpreter).

What the requests of one interpreter share: module globals, caches and imported
modules live as long as the interpreter and are seen by every request,
including ones running at the same time; per-request state belongs in locals or
`contextvars` (each task has its own context). worker/README.md "State between
requests".

The host channel is the binding call with kind "loop" (docs/abi.md §7 "The
serving loop").
"""


from . import _abi, _entrypoints, _handler

LOOP_KIND = "loop"


def host(op, args, *blobs):
    """One op on the host's loop channel -> (meta, blobs)."""
    return _abi.call(LOOP_KIND, "", op, args, *blobs)


def respond(request, response_frames):
    """Answer request `request`; the frames go to the host as they are (no copy into op frames)."""
    _abi.host().call(LOOP_KIND, f"respond:{request}", response_frames)


def serve(handle, concurrent):
    """One turn of serving -> seconds until the next timer of the loop (None: no timer). A coroutine handler
    (`concurrent`) is served by `handle_async` on pymode._aio's ServeLoop, which keeps its tasks between
    turns; a synchronous one by `handle` (frames -> response frames), each request to its end, without
    asyncio (importing asyncio inside a request can overflow the stack of Node 20's Asyncify host)."""
    global _loop
    if concurrent:
        from . import _aio

        if _loop is None:
            _loop = _aio.ServeLoop(handle_async)
        return _loop.turn()
    meta, blobs = host("next", {"concurrent": False})
    while meta["requests"]:
        # A synchronous handler cannot be cancelled: past its time budget the host has answered already
        # and drops this answer.
        for request, frames in zip(meta["requests"], blobs):
            respond(request, handle(frames))
        meta, blobs = host("next", {})
    return None


_loop = None  # the ServeLoop of a coroutine handler: its tasks live from turn to turn


async def handle_async(request_frames):
    """pymode._handler.handle as a task of the serving loop: a coroutine handler is awaited here, so other
    requests run while it waits on the host. Never raises (but is cancelled like any task).

    (It lives here, not in pymode._handler: with a coroutine function in pymode._handler, importing it at
    pymode_init overflowed the native stack of Node 20's Asyncify host while the entry loaded.)"""
    started = _handler.begin(request_frames)
    if isinstance(started, bytes):
        return started
    request, result = started
    try:
        if _entrypoints.isawaitable(result):
            result = await result
    except (Exception, SystemExit) as exc:
        return _handler.failed(request, exc)
    return _handler.finish(request, result)
