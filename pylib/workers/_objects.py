"""Plain values shaped like the JavaScript objects Cloudflare's Python Workers hand out.

On Cloudflare (Pyodide) a binding call returns a JsProxy: `result.keys`,
`row.name`, `obj.httpMetadata`, `buf.to_bytes()`, `x.to_py()`. Code written
for that reads attributes in camelCase and sometimes subscripts. `JsObject`
gives both on a plain dict, so such code runs unmodified here.
"""

__all__ = ["JsObject", "JsBuffer", "js_value"]


class JsObject(dict):
    """A dict whose keys are also attributes (`row.name`, `row["name"]`), like a JsProxy.

    A key wins over a dict method of the same name, as a JavaScript property
    does (a KV listing's `result.keys` is its list of keys, not `dict.keys`).
    """

    def __getattribute__(self, name):
        if not name.startswith("_") and dict.__contains__(self, name):
            return dict.__getitem__(self, name)
        return object.__getattribute__(self, name)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"object has no property {name!r} (has: {', '.join(self) or 'none'})") from None

    def to_py(self):
        """The plain Python value (Pyodide's `JsProxy.to_py()`)."""
        return {k: _to_py(v) for k, v in self.items()}

    def as_object_map(self):
        return self


class JsBuffer(bytes):
    """Bytes that also answer Pyodide's buffer methods (`to_bytes()`, `to_py()`, `byteLength`)."""

    def to_bytes(self):
        return bytes(self)

    def to_py(self):
        return bytes(self)

    @property
    def byteLength(self):
        return len(self)


def js_value(value):
    """Dicts (nested in lists too) as JsObject, bytes as JsBuffer; everything else as is."""
    if isinstance(value, JsObject):
        return value
    if isinstance(value, dict):
        return JsObject((k, js_value(v)) for k, v in value.items())
    if isinstance(value, list):
        return [js_value(v) for v in value]
    if isinstance(value, (bytes, bytearray, memoryview)):
        return JsBuffer(value)
    return value


def _to_py(value):
    if isinstance(value, JsObject):
        return value.to_py()
    if isinstance(value, list):
        return [_to_py(v) for v in value]
    if isinstance(value, JsBuffer):
        return bytes(value)
    return value
