# A FastAPI app written for Cloudflare's Python Workers (https://developers.cloudflare.com/workers/languages/python/)
# and deployed here unmodified: pydantic v2 models (pydantic-core from the `pydantic-core` PyModeExtension), path,
# query and body validation (an invalid body is a 422), dependency injection, HTTPException, a sync endpoint, a KV
# binding reached through `request.scope["env"]`, and the generated OpenAPI at /openapi.json and docs at /docs.
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Path, Query, Request
from pydantic import BaseModel, Field
from workers import WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        import asgi

        return await asgi.fetch(app, request, self.env)


app = FastAPI(title="Notes", version="1.0.0")


class NoteIn(BaseModel):
    title: str = Field(min_length=1, max_length=100)
    body: str = ""
    tags: list[str] = []


class Note(NoteIn):
    id: str


def notes(request: Request):
    """The worker's KV namespace, as Cloudflare's ASGI bridge hands the env over."""
    return request.scope["env"].NOTES


NoteId = Annotated[str, Path(pattern=r"^[a-z0-9-]{1,40}$")]


@app.get("/")
async def root():
    return {"message": "Hello from FastAPI on PyMode!"}


@app.put("/notes/{note_id}", status_code=201)
async def put_note(note_id: NoteId, note: NoteIn, kv=Depends(notes)) -> Note:
    stored = Note(id=note_id, **note.model_dump())
    await kv.put(note_id, stored.model_dump_json())
    return stored


@app.get("/notes/{note_id}")
async def get_note(note_id: NoteId, kv=Depends(notes)) -> Note:
    raw = await kv.get(note_id)
    if raw is None:
        raise HTTPException(status_code=404, detail=f"no note {note_id}")
    return Note.model_validate_json(raw)


@app.get("/notes")
async def list_notes(prefix: str = "", limit: Annotated[int, Query(ge=1, le=100)] = 10, kv=Depends(notes)):
    listing = await kv.list(prefix=prefix, limit=limit)
    return {"ids": [key.name for key in listing.keys]}


@app.get("/sum")
def add(a: int, b: int):  # a sync endpoint: FastAPI runs it through anyio's thread pool
    return {"sum": a + b}
