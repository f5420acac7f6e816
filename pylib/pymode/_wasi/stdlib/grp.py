"""grp on python.wasm: there is no group database at the edge; lookups find nothing (KeyError, as CPython's)."""
from collections import namedtuple

struct_group = namedtuple("struct_group", "gr_name gr_passwd gr_gid gr_mem")


def getgrgid(gid):
    raise KeyError(f"getgrgid(): gid not found: {gid} (python.wasm at the edge has no group database)")


def getgrnam(name):
    raise KeyError(f"getgrnam(): name not found: {name!r} (python.wasm at the edge has no group database)")


def getgrall():
    return []
