"""mmap on python.wasm: there is no virtual memory to map files into (one linear memory, in-memory files)."""
from pymode._wasi import unavailable

ACCESS_DEFAULT, ACCESS_READ, ACCESS_WRITE, ACCESS_COPY = 0, 1, 2, 3
MAP_SHARED, MAP_PRIVATE, MAP_ANONYMOUS, PROT_READ, PROT_WRITE, PROT_EXEC = 1, 2, 0x20, 1, 2, 4
MAP_ANON = MAP_ANONYMOUS
error = OSError
PAGESIZE = ALLOCATIONGRANULARITY = 65536


class mmap:
    def __init__(self, *args, **kwargs):
        raise unavailable("mmap.mmap", "WebAssembly has one linear memory and no file mapping; read the file instead")
