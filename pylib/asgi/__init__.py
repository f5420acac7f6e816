"""`import asgi`, as Cloudflare's Python Workers name it: the same as `from workers import asgi`."""

from workers.asgi import LifespanStartupFailed, entrypoint, fetch

__all__ = ["LifespanStartupFailed", "entrypoint", "fetch"]
