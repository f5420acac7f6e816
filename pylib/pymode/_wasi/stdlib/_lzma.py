"""The C half of lzma on python.wasm: liblzma is not built for wasm32-wasi, so lzma imports and refuses to (de)compress."""
from pymode._wasi import unavailable

_REASON = "liblzma is not built into python.wasm; use zlib or gzip, which are"

CHECK_NONE, CHECK_CRC32, CHECK_CRC64, CHECK_SHA256 = 0, 1, 4, 10
CHECK_ID_MAX, CHECK_UNKNOWN = 15, 16
FILTER_LZMA1, FILTER_LZMA2, FILTER_DELTA = 0x4000000000000001, 0x21, 0x03
FILTER_X86, FILTER_POWERPC, FILTER_IA64, FILTER_ARM, FILTER_ARMTHUMB, FILTER_SPARC = 4, 5, 6, 7, 8, 9
FORMAT_AUTO, FORMAT_XZ, FORMAT_ALONE, FORMAT_RAW = 0, 1, 2, 3
MF_HC3, MF_HC4, MF_BT2, MF_BT3, MF_BT4 = 0x03, 0x04, 0x12, 0x13, 0x14
MODE_FAST, MODE_NORMAL = 1, 2
PRESET_DEFAULT, PRESET_EXTREME = 6, 0x80000000


class LZMAError(Exception):
    pass


class LZMACompressor:
    def __init__(self, *args, **kwargs):
        raise unavailable("lzma compression", _REASON)


class LZMADecompressor:
    def __init__(self, *args, **kwargs):
        raise unavailable("lzma decompression", _REASON)


def is_check_supported(check_id):
    return False


def _encode_filter_properties(filter):
    raise unavailable("lzma filters", _REASON)


def _decode_filter_properties(filter_id, encoded_props):
    raise unavailable("lzma filters", _REASON)
