"""The C half of bz2 on python.wasm: libbz2 is not built for wasm32-wasi, so bz2 imports and refuses to (de)compress."""
from pymode._wasi import unavailable

_REASON = "libbz2 is not built into python.wasm; use zlib or gzip, which are"


class BZ2Compressor:
    def __init__(self, compresslevel=9):
        raise unavailable("bz2 compression", _REASON)


class BZ2Decompressor:
    def __init__(self):
        raise unavailable("bz2 decompression", _REASON)
