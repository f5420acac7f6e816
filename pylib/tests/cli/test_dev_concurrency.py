"""`pymode dev` serves requests as the edge does: a coroutine handler's requests overlap where they await,
a synchronous handler's run one at a time (pymode/dev/server.py, pymode/dev/loop.py).

Overlap is proven by order, not by clocks: the handlers record when each request enters and leaves and wait
(asyncio.sleep, or an upstream that answers only once N requests wait on it at the same time) until all N
have entered, which never happens if the dev server serves them one after another."""

import concurrent.futures
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from .conftest import request, write_files

N = 8

ASYNC_SLEEP_ENTRY = """\
    import asyncio
    from pymode.workers import Response

    EVENTS = []  # module globals are shared by the requests of one interpreter, as in the Worker isolate

    async def on_fetch(request, env):
        if request.path == "/events":
            return Response.json(EVENTS)
        name, together = request.query["n"][0], int(request.query["of"][0])
        EVENTS.append(["enter", name])
        # Sleep until `together` requests have entered (at most 5 s): served one at a time, the first would
        # leave before the second entered; overlapping, every one enters before any leaves, however slow
        # the machine.
        for _ in range(25):
            if sum(kind == "enter" for kind, _ in EVENTS) >= together:
                break
            await asyncio.sleep(0.2)
        EVENTS.append(["exit", name])
        return Response(name)
    """

CLOUDFLARE_ENTRY = """\
    from urllib.parse import parse_qs, urlparse

    from workers import Response, WorkerEntrypoint, fetch

    EVENTS = []

    class Default(WorkerEntrypoint):
        async def fetch(self, request):
            url = urlparse(request.url)
            query = parse_qs(url.query)
            if url.path == "/events":
                return Response.json(EVENTS)
            if url.path == "/kv":
                key = query["k"][0]
                await self.env.MY_KV.put(key, "value of " + key)
                return Response(await self.env.MY_KV.get(key))
            name = query["n"][0]
            EVENTS.append(["enter", name])
            answer = await fetch(query["upstream"][0])
            EVENTS.append(["exit", name])
            return Response(f"{name}: {answer.status} {await answer.text()}")
    """

SYNC_ENTRY = """\
    import time
    from pymode.workers import Response

    EVENTS = []

    def on_fetch(request, env):
        if request.path == "/events":
            return Response.json(EVENTS)
        name = request.query["n"][0]
        EVENTS.append(["enter", name])
        time.sleep(0.05)
        EVENTS.append(["exit", name])
        return Response(name)
    """

KV_WORKER = """\
    apiVersion: pymode.dev/v1alpha1
    kind: PyModeWorker
    metadata:
      name: conc
    spec:
      source: {configMapRef: {name: conc-source}}
      bindings:
        kv:
          - name: MY_KV
            namespace: conc-data
    """


def get_all(server, paths):
    """GET every path at once, each on its own connection -> [(status, body)] in the order of `paths`."""
    with concurrent.futures.ThreadPoolExecutor(len(paths)) as pool:
        answers = list(pool.map(lambda p: server.get(p, timeout=30), paths))
    return [(status, body) for status, _, body in answers]


def events(server):
    status, _, body = server.get("/events")
    assert status == 200
    return [tuple(e) for e in json.loads(body)]


@pytest.fixture
def barrier_upstream():
    """An HTTP server that answers a request only once N requests wait on it together (else 504 after 10 s)."""
    barrier = threading.Barrier(N, timeout=10)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            try:
                barrier.wait()
                status, body = 200, b"all together"
            except threading.BrokenBarrierError:
                status, body = 504, b"requests came one at a time"
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_async_handler_requests_overlap_at_asyncio_sleep(tmp_path, dev):
    server = dev(write_files(tmp_path / "p", {"src/entry.py": ASYNC_SLEEP_ENTRY}))
    answers = get_all(server, [f"/?n={i}&of={N}" for i in range(N)])
    assert answers == [(200, str(i).encode()) for i in range(N)]
    order = events(server)
    assert sorted(order) == sorted([("enter", str(i)) for i in range(N)] + [("exit", str(i)) for i in range(N)])
    # Every request entered before the first one left: they waited together.
    assert [kind for kind, _ in order[:N]] == ["enter"] * N, order


def test_cloudflare_handler_requests_overlap_at_an_awaited_fetch(tmp_path, dev, barrier_upstream):
    server = dev(write_files(tmp_path / "p", {"src/entry.py": CLOUDFLARE_ENTRY}))
    upstream = barrier_upstream
    answers = get_all(server, [f"/?n={i}&upstream={upstream}" for i in range(N)])
    # The upstream answers only when all N wait on it at once: served one at a time, each would get 504.
    assert answers == [(200, f"{i}: 200 all together".encode()) for i in range(N)]
    assert [kind for kind, _ in events(server)[:N]] == ["enter"] * N


def test_awaited_kv_calls_from_concurrent_requests_get_their_own_answers(tmp_path, dev):
    project = write_files(tmp_path / "p", {"src/entry.py": CLOUDFLARE_ENTRY, "worker.yaml": KV_WORKER})
    server = dev(project)
    answers = get_all(server, [f"/kv?k=key{i}" for i in range(2 * N)])
    assert answers == [(200, f"value of key{i}".encode()) for i in range(2 * N)]


def test_sync_handler_serves_one_request_at_a_time(tmp_path, dev):
    server = dev(write_files(tmp_path / "p", {"src/entry.py": SYNC_ENTRY}))
    answers = get_all(server, [f"/?n={i}" for i in range(4)])
    assert answers == [(200, str(i).encode()) for i in range(4)]
    order = events(server)
    # Each request left before the next entered: never two in the module's globals at once.
    assert len(order) == 8
    for enter, leave in zip(order[::2], order[1::2]):
        assert (enter[0], leave[0], enter[1]) == ("enter", "exit", leave[1]), order


def test_a_reload_switches_between_sync_and_async_serving(tmp_path, dev):
    project = write_files(tmp_path / "p", {"src/entry.py": SYNC_ENTRY})
    server = dev(project)
    assert server.get("/?n=a")[::2] == (200, b"a")
    write_files(project, {"src/entry.py": ASYNC_SLEEP_ENTRY})
    server.wait_for(lambda: server.get("/events")[2] == b"[]", what="the async entry")
    get_all(server, [f"/?n={i}&of={N}" for i in range(N)])
    assert [kind for kind, _ in events(server)[:N]] == ["enter"] * N
    write_files(project, {"src/entry.py": SYNC_ENTRY.replace("time.sleep(0.05)", "time.sleep(0.01)")})
    server.wait_for(lambda: server.get("/events")[2] == b"[]", what="the sync entry again")
    get_all(server, [f"/?n={i}" for i in range(4)])
    kinds = [kind for kind, _ in events(server)]
    assert kinds == ["enter", "exit"] * 4
