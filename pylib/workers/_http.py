"""`Request`, `Response`, `Headers`, `FormData`, `Blob`, `File` and `fetch` as Cloudflare's Python Workers define them.

Bodies are read with awaitable methods (`await request.json()`), like the web
APIs these follow. Underneath, the bytes are already here (the host hands the
whole request to python.wasm) or come from `pymode.http.fetch`, whose host call
suspends the interpreter; the coroutines never wait on an event loop.
"""

import json
from collections.abc import MutableMapping
from http import HTTPMethod, HTTPStatus
from urllib.parse import parse_qsl, urlencode

from pymode import http as _pymode_http
from pymode._abi import aperform
from pymode import workers as _pymode
from pymode.workers import Headers, decode_text

from ._objects import JsBuffer

__all__ = ["Blob", "File", "FormData", "Headers", "Request", "Response", "fetch"]

_FORM_URLENCODED = "application/x-www-form-urlencoded"
_MULTIPART = "multipart/form-data"


# --- Blob and File ------------------------------------------------------------------


class Blob:
    """Immutable bytes with a content type (the web `Blob`)."""

    def __init__(self, blob_parts, content_type=None, endings=None):
        if isinstance(blob_parts, (str, bytes, bytearray, memoryview, Blob)):
            blob_parts = [blob_parts]
        chunks = []
        for part in blob_parts:
            if isinstance(part, Blob):
                chunks.append(part._data)
                content_type = content_type or part.content_type
            elif isinstance(part, str):
                chunks.append(part.encode("utf-8"))
            elif isinstance(part, (bytes, bytearray, memoryview)):
                chunks.append(bytes(part))
            else:
                raise TypeError(f"Don't know how to handle {type(part).__name__} for Blob()")
        self._data = b"".join(chunks)
        self._type = content_type or ""

    @property
    def size(self):
        return len(self._data)

    @property
    def content_type(self):
        return self._type

    type = content_type

    @property
    def js_object(self):
        return self

    async def text(self):
        return self._data.decode("utf-8", errors="replace")

    async def bytes(self):
        return self._data

    async def arrayBuffer(self):
        return JsBuffer(self._data)

    def slice(self, start=None, end=None, content_type=None):
        return Blob(self._data[slice(start, end)], content_type)

    def __repr__(self):
        return f"{type(self).__name__}(size={self.size}, content_type={self._type!r})"


class File(Blob):
    """A named `Blob` (a form upload)."""

    def __init__(self, blob_parts, filename, content_type=None, endings=None, last_modified=None):
        super().__init__(blob_parts, content_type, endings)
        self._name = filename
        self._last_modified = last_modified or 0

    @property
    def name(self):
        return self._name

    @property
    def last_modified(self):
        return self._last_modified

    lastModified = last_modified


# --- FormData -------------------------------------------------------------------------


class FormData(MutableMapping):
    """Form fields: a multi-dict of str or `File` values (the web `FormData`)."""

    def __init__(self, form_data=None):
        self._items = []
        if form_data is None:
            return
        if isinstance(form_data, FormData):
            self._items = list(form_data._items)
        elif isinstance(form_data, dict):
            for key, value in form_data.items():
                self.append(key, value)
        else:
            raise TypeError("Expected form_data to be a dict or an instance of FormData")

    @staticmethod
    def _value(value, filename=None):
        if isinstance(value, Blob):
            if filename is not None or not isinstance(value, File):
                return File(value, filename or "blob", value.content_type)
            return value
        if isinstance(value, str):
            return value
        raise TypeError(f"a form value must be str, Blob or File, not {type(value).__name__}")

    def __getitem__(self, key):
        for k, v in self._items:
            if k == key:
                return v
        raise KeyError(key)

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default

    def get_all(self, key):
        return [v for k, v in self._items if k == key]

    getAll = get_all

    def __setitem__(self, key, value):
        if isinstance(value, list):
            raise TypeError("Expected single item in arguments to FormData.__setitem__")
        value = self._value(value)
        replaced = False
        items = []
        for k, v in self._items:
            if k == key:
                if not replaced:
                    items.append((k, value))
                    replaced = True
            else:
                items.append((k, v))
        if not replaced:
            items.append((key, value))
        self._items = items

    set = __setitem__

    def append(self, key, value, filename=None):
        self._items.append((key, self._value(value, filename)))

    def delete(self, key):
        self._items = [(k, v) for k, v in self._items if k != key]

    def __delitem__(self, key):
        if key not in self:
            raise KeyError(key)
        self.delete(key)

    def __contains__(self, key):
        return any(k == key for k, _ in self._items)

    has = __contains__

    def keys(self):
        return [k for k, _ in self._items]

    def values(self):
        return [v for _, v in self._items]

    def items(self):
        return list(self._items)

    entries = items

    def __iter__(self):
        return iter(self.keys())

    def __len__(self):
        return len(self._items)

    @property
    def js_object(self):
        return self

    def encode(self):
        """(body, content type): urlencoded when every value is text, else multipart."""
        if all(isinstance(v, str) for _, v in self._items):
            return urlencode(self._items).encode("ascii"), _FORM_URLENCODED
        import uuid  # only forms with files pay for it

        boundary = "----pymode-form-" + uuid.uuid4().hex
        out = []
        for key, value in self._items:
            disposition = f'form-data; name="{_quote(key)}"'
            head = ""
            if isinstance(value, File):
                disposition += f'; filename="{_quote(value.name)}"'
                head = f"content-type: {value.content_type or 'application/octet-stream'}\r\n"
                data = value._data
            else:
                data = value.encode("utf-8")
            out.append(f"--{boundary}\r\ncontent-disposition: {disposition}\r\n{head}\r\n".encode("utf-8"))
            out.append(data + b"\r\n")
        out.append(f"--{boundary}--\r\n".encode("ascii"))
        return b"".join(out), f"{_MULTIPART}; boundary={boundary}"

    @classmethod
    def parse(cls, body, content_type):
        """Parse an urlencoded or multipart/form-data body."""
        mime = (content_type or "").split(";")[0].strip().lower()
        form = cls()
        if mime == _FORM_URLENCODED:
            for key, value in parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True):
                form.append(key, value)
            return form
        if mime != _MULTIPART:
            raise TypeError(f"a form body needs content type {_FORM_URLENCODED} or {_MULTIPART}, not {mime or 'none'!r}")
        import email.parser  # only multipart forms pay for the email package
        import email.policy

        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"content-type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
        if not message.is_multipart():
            raise ValueError("the multipart/form-data body has no parts (is the boundary right?)")
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name is None:
                continue
            data = part.get_payload(decode=True) or b""
            filename = part.get_filename()
            if filename is None:
                form.append(name, decode_text(data, part.get("content-type")))
            else:
                form.append(name, File(data, filename, part.get_content_type()))
        return form


def _quote(value):
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\r", " ").replace("\n", " ")


# --- bodies ---------------------------------------------------------------------------


class _Body:
    """Awaitable body readers shared by `Request` and `Response`; a body is read once, as on the web."""

    _data = b""
    _used = False

    def _take(self):
        if self._used:
            raise OSError("Body already used")
        self._used = True
        return self._data

    @property
    def body_used(self):
        return self._used

    bodyUsed = body_used

    async def text(self):
        return decode_text(self._take(), self.headers.get("content-type"))

    async def json(self, **kwargs):
        return json.loads(await self.text(), **kwargs)

    async def bytes(self):
        return self._take()

    async def buffer(self):
        return JsBuffer(self._take())

    arrayBuffer = buffer

    async def form_data(self):
        return FormData.parse(self._take(), self.headers.get("content-type"))

    formData = form_data

    async def blob(self):
        return Blob(self._take(), self.headers.get("content-type"))


def _body_bytes(body, headers, what):
    """Bytes of a body given to Request/Response/fetch; sets a content type for forms and text."""
    if isinstance(body, FormData):
        data, content_type = body.encode()
    elif isinstance(body, Blob):
        data, content_type = body._data, body.content_type or None
    elif isinstance(body, (bytes, bytearray, memoryview)):
        data, content_type = bytes(body), None  # the web APIs leave binary bodies untyped
    else:
        data, content_type = _pymode.to_body(body, what)
    if content_type and "content-type" not in headers:
        headers.set("content-type", content_type)
    return data


def _method(method):
    return method.value if isinstance(method, HTTPMethod) else str(method).upper()


# --- Request --------------------------------------------------------------------------


class Request(_Body):
    """An HTTP request: the one a handler receives, or one built for `fetch`."""

    def __init__(self, input, method="GET", headers=None, body=None, redirect="follow", cf=None, **_ignored):
        if isinstance(input, _pymode.Request):  # the incoming request, from the host
            self._method = input.method
            self._url = input.url
            self._headers = input.headers
            self._data = input.body
        elif isinstance(input, Request):
            self._method, self._url = input._method, input._url
            self._headers = Headers(headers) if headers is not None else input._headers.copy()
            self._data = input._data if body is None else _body_bytes(body, self._headers, "Request body")
        elif isinstance(input, str):
            self._method = _method(method)
            self._url = input
            self._headers = Headers(headers)
            self._data = _body_bytes(body, self._headers, "Request body")
        else:
            raise TypeError(f"Request takes a URL or a Request, not {type(input).__name__}")
        self._redirect = redirect
        self._cf = dict(cf or {})

    @property
    def method(self):
        try:
            return HTTPMethod[self._method]
        except KeyError:  # a method http.HTTPMethod does not list stays a str
            return self._method

    @property
    def url(self):
        return self._url

    @property
    def headers(self):
        return self._headers

    @property
    def redirect(self):
        return self._redirect

    @property
    def cf(self):
        return self._cf

    @property
    def body(self):
        return self._data

    @property
    def js_object(self):
        return self

    def clone(self):
        if self._used:
            raise OSError("Body already used")
        return Request(self)

    def __repr__(self):
        return f"Request(method={self._method!r}, url={self._url!r})"


# --- Response -------------------------------------------------------------------------


class _JsonMethod:
    """`Response.json(data)` builds a JSON response; `await response.json()` parses one (as on Cloudflare)."""

    def __get__(self, instance, owner):
        if instance is None:
            return owner.from_json
        return _Body.json.__get__(instance, owner)


class Response(_Body, _pymode.Response):
    """An HTTP response, returned by a handler or by `fetch`.

    `Response(body, status=200, status_text="", headers=None)`: a str, bytes,
    `FormData` or `Blob` body (dicts and lists become JSON, as in pymode's own
    `Response`). `Response.json(data)`, `Response.redirect(url)` build the
    common cases; `await response.text()` / `.json()` / `.bytes()` read one.
    """

    json = _JsonMethod()

    def __init__(self, body=None, status=None, status_text="", headers=None, web_socket=None, *, url=""):
        if web_socket is not None:
            raise NotImplementedError("WebSocket responses are not supported by the PyMode runtime")
        status = status.value if isinstance(status, HTTPStatus) else (200 if status is None else status)
        headers = Headers(headers)
        data = _body_bytes(body, headers, "Response body")
        _pymode.Response.__init__(self, None, status=status, headers=headers)
        self.body = self._data = data
        self.status_text = status_text or _reason(status)
        self.url = url

    @classmethod
    def from_json(cls, data, status=HTTPStatus.OK, status_text="", headers=None):
        headers = Headers(headers)
        if "content-type" not in headers:
            headers.set("content-type", "application/json")
        return cls(json.dumps(data), status=status, status_text=status_text, headers=headers)

    @classmethod
    def redirect(cls, url, status=HTTPStatus.FOUND):
        code = status.value if isinstance(status, HTTPStatus) else status
        if code not in (301, 302, 303, 307, 308):
            raise ValueError(f"redirect status must be 301, 302, 303, 307 or 308, got {status!r}")
        return cls(None, status=code, headers={"location": url})

    @property
    def js_object(self):
        return self

    def replace_body(self, body):
        """A copy with the same status and headers and a new body."""
        headers = self.headers.copy()
        headers.delete("content-type")
        for value in self.headers.getall("content-type"):
            headers.append("content-type", value)
        return Response(body, status=self.status, status_text=self.status_text, headers=headers, url=self.url)

    def clone(self):
        if self._used:
            raise OSError("Body already used")
        return Response(self._data, status=self.status, status_text=self.status_text, headers=self.headers.copy(),
                        url=self.url)

    def __repr__(self):
        return f"Response(status={self.status}, content_type={self.headers.get('content-type')!r})"


def _reason(status):
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


# --- fetch ----------------------------------------------------------------------------


async def fetch(resource, **options):
    """An outbound HTTP request (`await fetch(url, method=..., headers=..., body=...)`) -> `Response`.

    The host performs it (`pymode.http.fetch`); `redirect="manual"` returns 3xx
    responses as they are. Options Cloudflare's `cf` object takes are accepted
    and ignored (there is no Cloudflare cache in front of the runtime's fetch).
    """
    request = resource if isinstance(resource, Request) and not options else Request(resource, **options)
    answer = await aperform(_pymode_http.fetch_operation("http", "", request.url, request._method,
                                                         request.headers.to_list(), request._data or None,
                                                         request.redirect))
    return Response(answer.body, status=answer.status, status_text=answer.status_text, headers=answer.headers,
                    url=answer.url)
