"""Outbound HTTP (urllib) and TCP (real sockets) for the native host."""

import http.client
import ssl
import threading
import urllib.error
import urllib.parse
import urllib.request

from ..tcp import original as original_socket_api
from ._common import arg, invalid, io_error, limit, one_blob

RECV_MAX_BYTES = 16 * 1024 * 1024


def _real_connect(address, timeout=None, source_address=None):
    """socket.create_connection on the real socket API.

    The host must not use the `socket` module's functions directly: while
    pymode.tcp.install() is active they route TCP through the host itself.
    """
    real_socket = original_socket_api("socket")
    getaddrinfo = original_socket_api("getaddrinfo")
    host, port = address
    timeout = timeout if isinstance(timeout, (int, float)) else None
    error = OSError(f"no addresses for {host!r}")
    for family, socktype, proto, _, addr in getaddrinfo(host, port, 0, original_socket_api("SOCK_STREAM")):
        sock = real_socket(family, socktype, proto)
        try:
            sock.settimeout(timeout)
            sock.connect(addr)
            return sock
        except OSError as exc:
            error = exc
            sock.close()
    raise error


class _HTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = _real_connect


class _HTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = _real_connect


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_HTTPConnection, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        return self.do_open(_HTTPSConnection, req, context=self._context)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """redirect: "manual" hands 3xx responses back instead of following them."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def fetch(args, blobs, timeout):
    url = arg(args, "url", str, required=True)
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise invalid(f"only http and https URLs can be fetched, got {url!r}")
    method = arg(args, "method", str, default="GET").upper()
    headers = arg(args, "headers", list, default=[])
    redirect = arg(args, "redirect", str, default="follow")
    if redirect not in ("follow", "manual"):
        raise invalid(f"redirect must be 'follow' or 'manual', got {redirect!r}")
    if len(blobs) > 1:
        raise invalid(f"fetch takes at most one body field, got {len(blobs)}")
    body = blobs[0] if blobs else None
    if body is not None and method in ("GET", "HEAD"):
        raise invalid(f"a {method} request cannot have a body")
    request = urllib.request.Request(url, data=body, method=method)
    for pair in headers:
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, str) for x in pair)):
            raise invalid(f"headers must be [name, value] string pairs, got {pair!r}")
        request.add_header(pair[0], pair[1])
    handlers = [_HTTPHandler(), _HTTPSHandler()] + ([_NoRedirect()] if redirect == "manual" else [])
    opener = urllib.request.build_opener(*handlers)
    try:
        response = opener.open(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        response = exc  # 4xx/5xx (and unfollowed 3xx) are responses, not failures
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", exc)
        raise io_error(f"fetch {url} failed: {reason}") from None
    with response:
        try:
            data = response.read()
        except (OSError, http.client.HTTPException) as exc:
            raise io_error(f"reading the response of {url} failed: {exc}") from None
        meta = {
            "status": response.status,
            "statusText": response.reason or "",
            "headers": [[k.lower(), v] for k, v in response.headers.items()],
            "url": response.geturl(),
        }
    return meta, [data]


class Sockets:
    """Open TCP sockets, named by small integers as the ABI requires."""

    def __init__(self, connect_timeout):
        self._connect_timeout = connect_timeout
        self._open = {}
        self._next = 1
        self._lock = threading.Lock()

    def op(self, op, args, blobs):
        handler = {"connect": self.connect, "send": self.send, "recv": self.recv, "close": self.close}.get(op)
        if handler is None:
            raise invalid(f"unknown TCP operation {op!r}")
        return handler(args, blobs)

    def _get(self, args):
        sid = arg(args, "socket", int, required=True)
        with self._lock:
            sock = self._open.get(sid)
        if sock is None:
            raise invalid(f"socket {sid} is not open")
        return sid, sock

    def connect(self, args, blobs):
        host = arg(args, "hostname", str, required=True)
        port = arg(args, "port", int, required=True)
        secure = arg(args, "secureTransport", str, default="off")
        if not 1 <= port <= 65535:
            raise invalid(f"port must be between 1 and 65535, got {port}")
        if secure not in ("off", "on"):
            raise invalid(f"secureTransport must be 'off' or 'on', got {secure!r}")
        try:
            sock = _real_connect((host, port), self._connect_timeout)
            if secure == "on":
                sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
            sock.settimeout(None)  # edge sockets have no read timeout either
        except OSError as exc:
            raise io_error(f"connect to {host}:{port} failed: {exc}") from None
        with self._lock:
            sid = self._next
            self._next += 1
            self._open[sid] = sock
        return {"socket": sid}, []

    def send(self, args, blobs):
        sid, sock = self._get(args)
        data = one_blob(blobs, "tcp send")
        try:
            sock.sendall(data)
        except OSError as exc:
            raise io_error(f"send on socket {sid} failed: {exc}") from None
        return {"sent": len(data)}, []

    def recv(self, args, blobs):
        sid, sock = self._get(args)
        size = arg(args, "max", int, required=True)
        if size < 1:
            raise invalid(f"max must be at least 1, got {size}")
        if size > RECV_MAX_BYTES:
            raise limit(f"max must be at most {RECV_MAX_BYTES}, got {size}")
        try:
            data = sock.recv(size)
        except OSError as exc:
            raise io_error(f"recv on socket {sid} failed: {exc}") from None
        return None, [data]

    def close(self, args, blobs):
        sid, sock = self._get(args)
        with self._lock:
            self._open.pop(sid, None)
        sock.close()
        return None, []

    def close_all(self):
        with self._lock:
            socks, self._open = list(self._open.values()), {}
        for sock in socks:
            sock.close()
