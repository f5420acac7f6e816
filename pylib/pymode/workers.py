"""HTTP types handler authors use: `Headers`, `Request`, `Response`.

The same pattern as Cloudflare Python Workers: `on_fetch(request, env)` gets a
`Request` and returns a `Response` (or a str, bytes, dict or list).
"""

import json
import re
from collections.abc import Mapping
from urllib.parse import parse_qs, urlsplit

__all__ = ["Headers", "Request", "Response"]

# RFC 9110 token characters: what a header name may contain.
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_CHARSET = re.compile(r"charset\s*=\s*\"?([^\";\s]+)", re.IGNORECASE)
# What a header value must not contain.
_FORBIDDEN_IN_VALUE = re.compile(r"[\r\n\0]")


# --- body helpers shared by requests, responses, KV, R2 and fetch -----------


def json_bytes(value, what):
    """Serialise `value` as UTF-8 JSON, with an error that names `what`."""
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{what} is not JSON-serialisable: {exc}") from None


def to_body(value, what):
    """Bytes for a body value -> (bytes, default content type or None).

    str is UTF-8 text, bytes-like is binary, dict/list is JSON, None is empty.
    """
    if value is None:
        return b"", None
    if isinstance(value, str):
        return value.encode("utf-8"), "text/plain; charset=utf-8"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value), "application/octet-stream"
    if isinstance(value, (dict, list)):
        return json_bytes(value, what), "application/json"
    raise TypeError(
        f"{what} must be str, bytes, dict, list or None, not {type(value).__name__}"
    )


def decode_text(body, content_type=None):
    """Decode a body using the charset of its content type (default UTF-8)."""
    charset = "utf-8"
    match = _CHARSET.search(content_type or "")
    if match:
        charset = match.group(1)
    try:
        return body.decode(charset, errors="replace")
    except LookupError:  # an unknown charset name: fall back like browsers do
        return body.decode("utf-8", errors="replace")


def parse_json(body, what):
    """Parse a JSON body, with an error that names `what`.

    Invalid JSON raises `json.JSONDecodeError` (a `ValueError`), so handlers can
    catch either; undecodable bytes raise `ValueError`.
    """
    try:
        return json.loads(body.decode("utf-8") if isinstance(body, (bytes, bytearray)) else body)
    except json.JSONDecodeError as exc:
        raise json.JSONDecodeError(f"{what} is not valid JSON: {exc.msg}", exc.doc, exc.pos) from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"{what} is not valid JSON: {exc}") from None


# --- headers -----------------------------------------------------------------


class Headers:
    """Case-insensitive, multi-value HTTP headers (names are kept lowercase).

    `get` joins repeated values with ", " (as the fetch API does); `getall`
    returns each value separately (use it for Set-Cookie).
    """

    def __init__(self, init=None):
        self._items = []
        if init is None:
            return
        if isinstance(init, Headers):
            self._items = list(init._items)  # checked when they were added: a copy needs no second check
            return
        if isinstance(init, Mapping):
            pairs = init.items()
        elif isinstance(init, (str, bytes)):
            raise TypeError("headers must be a mapping or a list of (name, value) pairs, not a string")
        else:
            pairs = init
        for pair in pairs:
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise TypeError(f"a header must be a (name, value) pair, got {pair!r}")
            self.append(pair[0], pair[1])

    @staticmethod
    def _name(name):
        if not isinstance(name, str) or not _TOKEN.match(name):
            raise ValueError(f"invalid header name {name!r}")
        return name.lower()

    @staticmethod
    def _value(name, value):
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise TypeError(f"header {name!r} value must be str or int, not {type(value).__name__}")
        value = str(value).strip(" \t")
        if _FORBIDDEN_IN_VALUE.search(value):
            raise ValueError(f"header {name!r} value must not contain CR, LF or NUL")
        return value

    def append(self, name, value):
        """Add a value, keeping existing values of the same name."""
        key = self._name(name)
        self._items.append((key, self._value(name, value)))

    def set(self, name, value):
        """Replace all values of `name` with one value."""
        key = self._name(name)
        value = self._value(name, value)
        self._items = [(k, v) for k, v in self._items if k != key]
        self._items.append((key, value))

    def delete(self, name):
        """Remove every value of `name` (no error when absent)."""
        key = name.lower()
        self._items = [(k, v) for k, v in self._items if k != key]

    def getall(self, name):
        key = name.lower()
        return [v for k, v in self._items if k == key]

    def get(self, name, default=None):
        values = self.getall(name)
        return ", ".join(values) if values else default

    def keys(self):
        seen = []
        for k, _ in self._items:
            if k not in seen:
                seen.append(k)
        return seen

    def items(self):
        """(name, value) pairs, one per value, in insertion order."""
        return list(self._items)

    def to_list(self):
        """[[name, value], ...] as carried in frames."""
        return [[k, v] for k, v in self._items]

    def to_dict(self):
        return {k: self.get(k) for k in self.keys()}

    def copy(self):
        return Headers(self)

    def __getitem__(self, name):
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __setitem__(self, name, value):
        self.set(name, value)

    def __delitem__(self, name):
        if name not in self:
            raise KeyError(name)
        self.delete(name)

    def __contains__(self, name):
        return isinstance(name, str) and any(k == name.lower() for k, _ in self._items)

    def __iter__(self):
        return iter(self.keys())

    def __len__(self):
        return len(self.keys())

    def __eq__(self, other):
        if isinstance(other, Headers):
            return sorted(self._items) == sorted(other._items)
        return NotImplemented

    def __repr__(self):
        return f"Headers({self._items!r})"


# --- request -----------------------------------------------------------------


class Request:
    """An incoming HTTP request.

    `method`, `url`, `path`, `query` (dict of lists, from the query string),
    `headers` (`Headers`), `body` (bytes); `text()`, `json()`, `bytes()`.
    """

    def __init__(self, method="GET", url="http://localhost/", headers=None, body=b""):
        if not isinstance(method, str) or not _TOKEN.match(method):
            raise ValueError(f"invalid HTTP method {method!r}")
        if not isinstance(url, str):
            raise TypeError(f"url must be str, not {type(url).__name__}")
        self.method = method.upper()
        self.url = url
        self.headers = headers if isinstance(headers, Headers) else Headers(headers)
        self.body, _ = to_body(body, "Request body")
        parts = urlsplit(url)
        self.path = parts.path or "/"
        self._query_string = parts.query
        self._query = None

    @property
    def query(self):
        """The query string as a dict of lists (`parse_qs`, blank values kept), parsed on first use."""
        if self._query is None:
            self._query = parse_qs(self._query_string, keep_blank_values=True)
        return self._query

    @query.setter
    def query(self, value):
        self._query = value

    def bytes(self):
        return self.body

    def text(self):
        return decode_text(self.body, self.headers.get("content-type"))

    def json(self):
        return parse_json(self.body, "request body")

    def __repr__(self):
        return f"<Request {self.method} {self.url}>"


# --- response ----------------------------------------------------------------

_REDIRECT_STATUSES = (301, 302, 303, 307, 308)


def _check_status(status):
    if isinstance(status, bool) or not isinstance(status, int):
        raise TypeError(f"status must be an int, not {type(status).__name__}")
    if not 200 <= status <= 599:
        raise ValueError(f"status must be between 200 and 599, got {status}")
    return status


class Response:
    """An HTTP response.

    `Response(body, status=200, headers=None)`: a str body is sent as
    text/plain (UTF-8), bytes as application/octet-stream, dict/list as JSON,
    None as an empty body; a Content-Type in `headers` always wins.
    `Response.json(obj)` and `Response.redirect(url)` build the common cases.
    """

    def __init__(self, body=None, status=200, headers=None):
        self.status = _check_status(status)
        self.headers = Headers(headers)
        self.body, content_type = to_body(body, "Response body")
        if content_type and "content-type" not in self.headers:
            self.headers.set("content-type", content_type)

    @classmethod
    def json(cls, obj, status=200, headers=None):
        """A JSON response (`application/json` unless headers say otherwise)."""
        body = json_bytes(obj, "Response.json body")
        headers = Headers(headers)
        if "content-type" not in headers:
            headers.set("content-type", "application/json")
        return cls(body, status=status, headers=headers)

    @classmethod
    def redirect(cls, url, status=302):
        """A redirect to `url` (status 301, 302, 303, 307 or 308)."""
        if status not in _REDIRECT_STATUSES:
            raise ValueError(f"redirect status must be one of {_REDIRECT_STATUSES}, got {status!r}")
        return cls(None, status=status, headers={"location": url})

    @property
    def ok(self):
        return 200 <= self.status < 300

    def text(self):
        return decode_text(self.body, self.headers.get("content-type"))

    def __repr__(self):
        return f"<Response {self.status} {len(self.body)} bytes>"


def __getattr__(name):
    # upstream PyMode's Env is imported from here: upstream's flavour (R2 get returns bytes), from pymode.env
    # (which imports this module)
    if name == "Env":
        from .env import UpstreamEnv

        return UpstreamEnv
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
