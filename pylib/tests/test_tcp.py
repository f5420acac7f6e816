import socket

import pytest

from pymode import tcp
from pymode.tcp import PyModeSocket, TcpError

from servers import EchoServer, free_port


@pytest.fixture
def echo(host):
    with EchoServer() as srv:
        yield srv


def test_connect_send_recv_close(echo, host):
    with PyModeSocket() as s:
        s.connect(("127.0.0.1", echo.port))
        assert s.getpeername() == ("127.0.0.1", echo.port)
        assert s.send(b"ping\n") == 5
        assert _recv_exactly(s, 5) == b"ping\n"
        s.sendall(memoryview(b"x" * 100_000))
        assert _recv_exactly(s, 100_000) == b"x" * 100_000
        buf = bytearray(8)
        s.send(b"abc")
        assert s.recv_into(buf) == 3 and bytes(buf[:3]) == b"abc"
        assert len(host.sockets._open) == 1
    assert host.sockets._open == {}  # closed on the host too
    with pytest.raises(OSError, match="socket is closed"):
        s.send(b"x")


def test_eof_is_an_empty_recv(echo):
    s = PyModeSocket()
    s.connect(("127.0.0.1", echo.port))
    s.sendall(b"QUIT\n")
    assert s.recv(10) == b""
    s.close()


def test_makefile_readline_and_write(echo):
    s = PyModeSocket()
    s.connect(("localhost", echo.port))
    f = s.makefile("rwb")
    f.write(b"line one\nline two\n")
    f.flush()
    assert f.readline() == b"line one\n" and f.readline() == b"line two\n"
    text = s.makefile("r", encoding="utf-8")
    s.close()  # the connection stays open while file objects use it
    s_id = s._id
    assert s_id is not None
    f.close()
    text.close()
    assert s._id is None


def test_errors(host):
    s = PyModeSocket()
    with pytest.raises(OSError, match="not connected"):
        s.recv(1)
    with pytest.raises(TcpError) as info:
        s.connect(("127.0.0.1", free_port()))
    assert info.value.status == -4 and isinstance(info.value, ConnectionError)
    assert PyModeSocket().connect_ex(("127.0.0.1", free_port())) != 0
    with pytest.raises(OSError, match="only TCP"):
        PyModeSocket(type=socket.SOCK_DGRAM)
    with pytest.raises(TcpError, match="socket 99 is not open"):
        tcp.call("tcp", "", "recv", {"socket": 99, "max": 1})


def test_install_routes_socket_module_tcp_through_the_host(echo, host):
    tcp.install()
    try:
        conn = socket.create_connection(("127.0.0.1", echo.port), timeout=5)
        assert isinstance(conn, PyModeSocket) and isinstance(conn, socket.socket)
        assert conn.gettimeout() == 5
        conn.sendall(b"hi")
        assert conn.recv(2) == b"hi"
        conn.close()
        raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        assert isinstance(raw, PyModeSocket)
        raw.connect(("127.0.0.1", echo.port))
        raw.sendall(b"yo")
        assert raw.recv(2) == b"yo"
        raw.close()
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        assert not isinstance(udp, PyModeSocket) and isinstance(udp, socket.socket)
        udp.close()
        assert len(socket.getaddrinfo("127.0.0.1", 80)) >= 1
        # The host itself keeps using real sockets (no recursion through itself).
        assert len(host.sockets._open) == 0
    finally:
        tcp.uninstall()
    with socket.socket() as restored:
        assert not isinstance(restored, PyModeSocket)


def _recv_exactly(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        assert chunk, "connection closed early"
        data += chunk
    return data


def test_install_without_a_socket_module_provides_a_stand_in(monkeypatch):
    """python.wasm may be built without _socket: install() then supplies `socket`."""
    import sys

    monkeypatch.setattr(tcp, "_socket", None)
    monkeypatch.delitem(sys.modules, "socket")
    tcp.install()
    try:
        import socket as shim

        assert shim is sys.modules["socket"] and shim.socket is PyModeSocket
        assert shim.create_connection is tcp.create_connection
        assert shim.getaddrinfo("db.internal", 5432) == [
            (shim.AF_INET, shim.SOCK_STREAM, shim.IPPROTO_TCP, "", ("db.internal", 5432))
        ]
        assert issubclass(shim.gaierror, OSError) and shim.timeout is TimeoutError
    finally:
        tcp.uninstall()
    assert tcp._originals == {}
