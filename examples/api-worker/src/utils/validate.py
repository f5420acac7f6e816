import re

_ALLOWED = re.compile(r"[^A-Za-z0-9 _-]")


def clean_name(name: str) -> str:
    """Keeps names printable and short: they are echoed back to the client."""
    return _ALLOWED.sub("", name)[:64] or "World"
