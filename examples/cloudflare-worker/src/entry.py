# Written for Cloudflare's Python Workers (https://developers.cloudflare.com/workers/languages/python/) and
# deployed here unmodified: the class entrypoint, awaited request bodies, KV and D1, Response.json.
from urllib.parse import urlparse

from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = urlparse(request.url).path
        if path == "/visits":
            db = self.env.DB
            await db.exec("CREATE TABLE IF NOT EXISTS visits (id INTEGER PRIMARY KEY, at TEXT)")
            await db.prepare("INSERT INTO visits (at) VALUES (datetime('now'))").run()
            count = await db.prepare("SELECT COUNT(*) AS n FROM visits").first("n")
            return Response.json({"visits": count})
        if path == "/notes" and request.method == "POST":
            note = await request.json()
            await self.env.NOTES.put(note["id"], note["text"])
            return Response.json({"stored": note["id"]}, status=201)
        if path.startswith("/notes/"):
            text = await self.env.NOTES.get(path.removeprefix("/notes/"))
            if text is None:
                return Response("no such note", status=404)
            return Response(text)
        return Response("Hello from a Cloudflare Python Worker on PyMode!")
