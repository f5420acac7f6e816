"""Outbound HTTP through the host: `fetch(...)` and an optional urllib hook.

    from pymode.http import fetch
    r = fetch("https://api.example.com/items", method="POST", body={"a": 1})
    r.status, r.headers.get("content-type"), r.text, r.json()

Inside python.wasm there are no sockets; the host performs the request (on
Cloudflare with the Workers fetch API). `install()` routes
`urllib.request.urlopen` through `fetch` for libraries that use urllib.
"""

import io

from ._abi import FetchError, HostOp, perform
from .workers import Headers, decode_text, parse_json, to_body

__all__ = ["fetch", "HttpResponse", "FetchError", "install", "uninstall"]


class _Text(str):
    """The decoded body: a str that may also be called, so both `r.text` and
    `r.text()` (as on `Request`, `R2Object` and the JavaScript fetch API) work."""

    def __call__(self):
        return str(self)


class HttpResponse:
    """The response to `fetch`: `status`, `status_text`, `headers` (`Headers`),
    `body` (bytes), `url` (after redirects), `text` (decoded body; `text()` works
    too), `json()`, `ok`."""

    def __init__(self, status, status_text, headers, body, url):
        self.status = status
        self.status_text = status_text
        self.headers = headers
        self.body = body
        self.url = url

    @property
    def ok(self):
        return 200 <= self.status < 300

    @property
    def text(self):
        return _Text(decode_text(self.body, self.headers.get("content-type")))

    def json(self):
        return parse_json(self.body, f"the response body of {self.url}")

    def __repr__(self):
        return f"<HttpResponse {self.status} {self.url}>"


def fetch(url, method="GET", headers=None, body=None, redirect="follow"):
    """Send an HTTP request and return an `HttpResponse`.

    `body` may be str, bytes, or dict/list (sent as JSON); its content type is
    added unless `headers` has one. `redirect="manual"` returns 3xx responses
    instead of following them. HTTP error statuses are responses, not
    exceptions; `FetchError` means no response arrived (DNS, refused, ...).
    """
    return fetch_via("http", "", url, method, headers, body, redirect)


def fetch_via(kind, binding, url, method="GET", headers=None, body=None, redirect="follow"):
    """`fetch` through the `fetch` op of binding kind `kind` (http, or service for a service binding)."""
    return perform(fetch_operation(kind, binding, url, method, headers, body, redirect))


def fetch_operation(kind, binding, url, method="GET", headers=None, body=None, redirect="follow"):
    """`fetch_via` as a generator of host calls (pymode._abi.perform / aperform)."""
    if not isinstance(url, str):
        raise TypeError(f"fetch url must be a str, got {type(url).__name__}")
    headers = Headers(headers)
    blobs = []
    if body is not None:
        data, content_type = to_body(body, "fetch body")
        if content_type and "content-type" not in headers:
            headers.set("content-type", content_type)
        blobs.append(data)
    args = {"url": url, "method": method.upper(), "headers": headers.to_list(), "redirect": redirect}
    meta, out = yield HostOp(kind, binding, "fetch", args, *blobs)
    return HttpResponse(
        meta["status"], meta.get("statusText", ""), Headers(meta.get("headers") or []),
        out[0] if out else b"", meta.get("url") or url,
    )


# --- urllib.request.urlopen through fetch ----------------------------------------

_original_urlopen = None


def _request_body(data):
    if data is None or isinstance(data, bytes):
        return data
    if isinstance(data, (bytearray, memoryview)):
        return bytes(data)
    if hasattr(data, "read"):
        return data.read()
    if isinstance(data, str):
        raise TypeError("POST data should be bytes, an iterable of bytes, or a file object; it cannot be str")
    return b"".join(data)


def _urlopen(url, data=None, timeout=None, **_ignored):
    """`urllib.request.urlopen` on top of `fetch` (timeout is up to the host)."""
    import http.client
    import urllib.error
    import urllib.request

    req = url if isinstance(url, urllib.request.Request) else urllib.request.Request(url)
    if data is not None:
        req.data = data
    body = _request_body(req.data)
    headers = Headers(req.header_items())
    if body is not None and "content-type" not in headers:
        headers.set("content-type", "application/x-www-form-urlencoded")  # what urllib sends
    resp = fetch(req.full_url, method=req.get_method(), headers=headers, body=body)

    message = http.client.HTTPMessage()
    for name, value in resp.headers.items():
        message[name] = value
    if resp.status >= 400:
        raise urllib.error.HTTPError(resp.url, resp.status, resp.status_text, message, io.BytesIO(resp.body))
    return _UrlopenResponse(resp, message)


class _UrlopenResponse(io.BytesIO):
    """The file-like object urlopen callers expect (read, headers, status, ...)."""

    def __init__(self, resp, message):
        super().__init__(resp.body)
        self.status = self.code = resp.status
        self.reason = self.msg = resp.status_text
        self.headers = message
        self.url = resp.url

    def getcode(self):
        return self.status

    def geturl(self):
        return self.url

    def info(self):
        return self.headers

    def getheader(self, name, default=None):
        return self.headers.get(name, default)

    def getheaders(self):
        return list(self.headers.items())


def install():
    """Route `urllib.request.urlopen` through `fetch`.

    Call it before importing libraries that do `from urllib.request import
    urlopen` (they keep whatever function existed when they imported it).
    """
    global _original_urlopen
    import urllib.request

    if _original_urlopen is None:
        _original_urlopen = urllib.request.urlopen
        urllib.request.urlopen = _urlopen


def uninstall():
    global _original_urlopen
    import urllib.request

    if _original_urlopen is not None:
        urllib.request.urlopen = _original_urlopen
        _original_urlopen = None
