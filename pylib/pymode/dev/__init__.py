"""The native dev server behind `pymode dev` (see `pymode.dev.server`)."""

from .server import DEFAULT_HOST, DEFAULT_PORT, DevServer, run

__all__ = ["DevServer", "run", "DEFAULT_HOST", "DEFAULT_PORT"]
