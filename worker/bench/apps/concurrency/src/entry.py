# The handlers of bench/concurrency.mjs, written as Cloudflare Python Workers code is (a coroutine
# handler awaiting its I/O): /hello, /upstream (awaits a loopback server that answers after 50 ms)
# and /cpu (about 5 ms of pure Python on this project's CI machine).
from urllib.parse import parse_qs, urlparse

from workers import Response, WorkerEntrypoint, fetch


def busy(n):
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        url = urlparse(request.url)
        if url.path == "/hello":
            return Response("Hello from PyMode!")
        if url.path == "/upstream":
            answer = await fetch(parse_qs(url.query)["url"][0])
            return Response(await answer.text())
        if url.path == "/cpu":
            return Response(str(busy(int(parse_qs(url.query)["n"][0]))))
        return Response("not found", status=404)
