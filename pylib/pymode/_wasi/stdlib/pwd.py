"""pwd on python.wasm: there is no user database at the edge; lookups find no one (KeyError, as CPython's)."""
from collections import namedtuple

struct_passwd = namedtuple("struct_passwd", "pw_name pw_passwd pw_uid pw_gid pw_gecos pw_dir pw_shell")


def getpwuid(uid):
    raise KeyError(f"getpwuid(): uid not found: {uid} (python.wasm at the edge has no user database)")


def getpwnam(name):
    raise KeyError(f"getpwnam(): name not found: {name!r} (python.wasm at the edge has no user database)")


def getpwall():
    return []
