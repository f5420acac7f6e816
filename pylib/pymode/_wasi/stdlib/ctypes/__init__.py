"""ctypes on python.wasm: there is no libffi for wasm32-wasi and no shared C libraries to load at the edge.

`import ctypes` works (libraries that probe for it import); any use raises OSError(ENOSYS), which code that
loads optional native libraries already handles. C extensions run as side modules instead (docs/extensions.md).
"""
from pymode._wasi import unavailable_attributes

__getattr__ = unavailable_attributes("ctypes", "no libffi for wasm32-wasi and no shared libraries to load")
