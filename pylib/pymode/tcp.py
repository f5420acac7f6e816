"""Outbound TCP through the host: a socket-like `PyModeSocket`, and `install()`.

python.wasm cannot open sockets itself; the host does (on Cloudflare with the
Workers `connect()` API) and this module speaks the `tcp` operations of
docs/abi.md. Use it directly:

    from pymode.tcp import PyModeSocket
    with PyModeSocket() as s:
        s.connect(("redis.example.com", 6379))
        s.sendall(b"PING\\r\\n")
        s.recv(64)

or call `install()` once, before libraries such as redis or pg8000 connect, so
`socket.create_connection(...)` and `socket.socket(AF_INET, SOCK_STREAM)`
return `PyModeSocket`s. Other families and types (UDP, Unix) and sockets made
from a file descriptor keep the real implementation.

Limits (the ABI has no such operations): timeouts are recorded but not
enforced; `fileno()` is -1, so `select`/`selectors` cannot poll these sockets;
`shutdown()` only takes effect as `close()` for SHUT_RDWR; socket options are
accepted and ignored. TLS is the host's job: `connect(addr, secure_transport="on")`.
"""

import errno
import io

from ._abi import TcpError, call

__all__ = ["PyModeSocket", "TcpError", "create_connection", "install", "uninstall", "original"]

try:
    import socket as _socket
except ImportError:  # a python.wasm built without _socket
    _socket = None

AF_INET = getattr(_socket, "AF_INET", 2)
AF_INET6 = getattr(_socket, "AF_INET6", 10)
SOCK_STREAM = getattr(_socket, "SOCK_STREAM", 1)
IPPROTO_TCP = getattr(_socket, "IPPROTO_TCP", 6)
SHUT_RD, SHUT_WR, SHUT_RDWR = 0, 1, 2
# Flags Linux lets callers OR into the type; they don't change what we do.
_TYPE_FLAGS = getattr(_socket, "SOCK_NONBLOCK", 0) | getattr(_socket, "SOCK_CLOEXEC", 0)
_default_timeout = None


class _SocketIO(io.RawIOBase):
    """The raw stream under `PyModeSocket.makefile` (like socket.SocketIO)."""

    def __init__(self, sock, mode):
        super().__init__()
        self._sock = sock
        self._reading = "r" in mode
        self._writing = "w" in mode

    def readable(self):
        return self._reading

    def writable(self):
        return self._writing

    def readinto(self, buffer):
        return self._sock.recv_into(buffer)

    def write(self, data):
        return self._sock.send(data)

    def close(self):
        if not self.closed:
            super().close()
            self._sock._decref_io()


class PyModeSocket:
    """A TCP client socket whose operations are performed by the host."""

    def __init__(self, family=AF_INET, type=SOCK_STREAM, proto=0, fileno=None):
        if fileno is not None:
            raise OSError(errno.EINVAL, "PyModeSocket cannot wrap a file descriptor")
        if family not in (AF_INET, AF_INET6) or (type & ~_TYPE_FLAGS) != SOCK_STREAM:
            raise OSError(errno.EAFNOSUPPORT, "PyModeSocket supports only TCP (AF_INET/AF_INET6, SOCK_STREAM)")
        self.family = family
        self.type = SOCK_STREAM
        self.proto = proto
        self._id = None
        self._peer = None
        self._closed = False
        self._io_refs = 0
        self._timeout = _default_timeout

    # -- connection -------------------------------------------------------------

    def connect(self, address, secure_transport="off"):
        """Connect to `(host, port)`; the host resolves names. `secure_transport="on"` for TLS."""
        self._check_open()
        if self._id is not None:
            raise OSError(errno.EISCONN, "socket is already connected")
        host, port = address[0], address[1]
        meta, _ = call("tcp", "", "connect", {"hostname": host, "port": int(port), "secureTransport": secure_transport})
        self._id = meta["socket"]
        self._peer = (host, int(port))

    def connect_ex(self, address):
        """Like `connect`, but returns 0 or an errno instead of raising."""
        try:
            self.connect(address)
        except TcpError:
            return errno.ECONNREFUSED
        except OSError as exc:
            return exc.errno or errno.EIO
        return 0

    def _connected(self):
        self._check_open()
        if self._id is None:
            raise OSError(errno.ENOTCONN, "socket is not connected")
        return self._id

    def _check_open(self):
        if self._closed:
            raise OSError(errno.EBADF, "socket is closed")

    # -- data -----------------------------------------------------------------------

    def send(self, data, flags=0):
        data = bytes(memoryview(data))
        if not data:
            return 0
        meta, _ = call("tcp", "", "send", {"socket": self._connected()}, data)
        return meta["sent"]

    def sendall(self, data, flags=0):
        view = memoryview(data).cast("B")
        sent = 0
        while sent < len(view):
            sent += self.send(view[sent:])

    def recv(self, bufsize, flags=0):
        """Up to `bufsize` bytes; b"" when the peer closed the connection."""
        if bufsize < 0:
            raise ValueError("negative buffersize in recv")
        if bufsize == 0:
            return b""
        _, blobs = call("tcp", "", "recv", {"socket": self._connected(), "max": bufsize})
        return blobs[0] if blobs else b""

    def recv_into(self, buffer, nbytes=0, flags=0):
        view = memoryview(buffer).cast("B")
        data = self.recv(nbytes or len(view))
        view[: len(data)] = data
        return len(data)

    def makefile(self, mode="r", buffering=None, *, encoding=None, errors=None, newline=None):
        """A file object over the socket, as `socket.socket.makefile` returns."""
        if not set(mode) <= {"r", "w", "b"}:
            raise ValueError(f"invalid mode {mode!r} (only 'r', 'w', 'b')")
        writing = "w" in mode
        reading = "r" in mode or not writing
        raw = _SocketIO(self, ("r" if reading else "") + ("w" if writing else ""))
        self._io_refs += 1
        if buffering is None or buffering < 0:
            buffering = io.DEFAULT_BUFFER_SIZE
        if buffering == 0:
            if "b" not in mode:
                raise ValueError("unbuffered streams must be binary")
            return raw
        if reading and writing:
            buffer = io.BufferedRWPair(raw, raw, buffering)
        elif reading:
            buffer = io.BufferedReader(raw, buffering)
        else:
            buffer = io.BufferedWriter(raw, buffering)
        if "b" in mode:
            return buffer
        text = io.TextIOWrapper(buffer, encoding, errors, newline)
        text.mode = mode
        return text

    # -- options and state --------------------------------------------------------

    def settimeout(self, value):
        if value is not None and value < 0:
            raise ValueError("Timeout value out of range")
        self._timeout = value

    def gettimeout(self):
        return self._timeout

    def setblocking(self, flag):
        self._timeout = None if flag else 0.0

    def getblocking(self):
        return self._timeout != 0.0

    def setsockopt(self, *args):
        """Accepted and ignored: the host owns the real socket's options."""

    def getsockopt(self, *args):
        return 0

    def getpeername(self):
        self._connected()
        return self._peer

    def getsockname(self):
        return ("0.0.0.0", 0)

    def fileno(self):
        return -1

    def shutdown(self, how):
        self._connected()
        if how == SHUT_RDWR:
            self._close_remote()

    # -- closing ----------------------------------------------------------------------

    def _close_remote(self):
        sid, self._id = self._id, None
        if sid is not None:
            try:
                call("tcp", "", "close", {"socket": sid})
            except TcpError:
                pass  # already gone on the host side; closing is idempotent

    def _decref_io(self):
        self._io_refs -= 1
        if self._closed and self._io_refs <= 0:
            self._close_remote()

    def close(self):
        """Close; the connection ends once every `makefile` object is closed too."""
        self._closed = True
        if self._io_refs <= 0:
            self._close_remote()

    @property
    def closed(self):
        return self._closed

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        state = "closed" if self._closed else (f"connected to {self._peer}" if self._id else "unconnected")
        return f"<PyModeSocket {state}>"


def create_connection(address, timeout=None, source_address=None, *, all_errors=False):
    """`socket.create_connection` for `PyModeSocket` (timeout recorded, source ignored)."""
    sock = PyModeSocket()
    if timeout is not None and not isinstance(timeout, (int, float)):
        timeout = None  # socket._GLOBAL_DEFAULT_TIMEOUT
    sock.settimeout(timeout)
    try:
        sock.connect(address)
    except BaseException:
        sock.close()
        raise
    return sock


# --- install(): route the socket module's TCP through PyModeSocket ---------------

_originals = {}


class _SocketMeta(type):
    # `isinstance(s, socket.socket)` stays true for both kinds of socket.
    def __instancecheck__(cls, obj):
        return isinstance(obj, (PyModeSocket, _originals.get("socket", ())))


class _RoutedSocket(metaclass=_SocketMeta):
    """Stands in for `socket.socket`: TCP client sockets become PyModeSockets."""

    def __new__(cls, family=-1, type=-1, proto=-1, fileno=None):
        fam = AF_INET if family == -1 else family
        kind = SOCK_STREAM if type == -1 else type
        if fileno is None and fam in (AF_INET, AF_INET6) and (kind & ~_TYPE_FLAGS) == SOCK_STREAM:
            return PyModeSocket(fam, kind, max(proto, 0))
        return _originals["socket"](family, type, proto, fileno)


def _getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
    # The host resolves names when it connects; without DNS (python.wasm),
    # hand back the name itself so libraries proceed to connect().
    try:
        return _originals["getaddrinfo"](host, port, family, type, proto, flags)
    except (OSError, KeyError):
        fam = AF_INET6 if family == AF_INET6 else AF_INET
        return [(fam, SOCK_STREAM, IPPROTO_TCP, "", (host, port))]


def _shim_socket_module():
    """A minimal `socket` module for interpreters built without `_socket`."""
    import sys
    import types

    mod = types.ModuleType("socket", "pymode.tcp stand-in: TCP client sockets through the host")
    mod.AF_INET, mod.AF_INET6, mod.SOCK_STREAM, mod.IPPROTO_TCP = AF_INET, AF_INET6, SOCK_STREAM, IPPROTO_TCP
    mod.SHUT_RD, mod.SHUT_WR, mod.SHUT_RDWR = SHUT_RD, SHUT_WR, SHUT_RDWR
    mod.SOL_SOCKET, mod.SO_KEEPALIVE, mod.TCP_NODELAY = 1, 9, 1
    mod.error, mod.timeout, mod.herror = OSError, TimeoutError, OSError
    mod.gaierror = type("gaierror", (OSError,), {})
    mod._GLOBAL_DEFAULT_TIMEOUT = object()
    mod.socket = mod.SocketType = PyModeSocket
    mod.create_connection = create_connection
    mod.getaddrinfo = _getaddrinfo
    mod.gethostname = lambda: "localhost"
    mod.getdefaulttimeout = lambda: _default_timeout
    sys.modules["socket"] = mod
    return mod


def install():
    """Make the `socket` module's TCP client sockets go through the host. Idempotent."""
    global _socket
    if _originals:
        return
    if _socket is None:
        _socket = _shim_socket_module()
        _originals["installed_shim"] = True
        return
    for name in ("socket", "create_connection", "getaddrinfo"):
        _originals[name] = getattr(_socket, name)
    _socket.socket = _RoutedSocket
    _socket.create_connection = create_connection
    _socket.getaddrinfo = _getaddrinfo


def uninstall():
    """Restore the real `socket` functions."""
    if _originals.pop("installed_shim", False):
        return
    for name, value in _originals.items():
        setattr(_socket, name, value)
    _originals.clear()


def original(name):
    """The real `socket.<name>`, even while `install()` is active (the native host needs it)."""
    if name in _originals:
        return _originals[name]
    return getattr(_socket, name)
