"""The stdlib stand-ins python.wasm gets (pymode/_wasi/stdlib), checked natively against CPython's real modules.

On python.wasm they are on sys.path (worker/test scenario "the stdlib surface"); here each is loaded from its
file, so the real module stays importable for comparison.
"""

import errno
import importlib.util
import sys
from pathlib import Path

import pytest

from pymode import _wasi

STDLIB = Path(_wasi.STDLIB_DIR)


def stand_in(name):
    path = STDLIB / f"{name}.py"
    if not path.exists():
        path = STDLIB / name / "__init__.py"
    spec = importlib.util.spec_from_file_location(f"standin_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["_lzma", "_bz2", "pwd", "grp"])
def test_a_stand_in_defines_every_name_of_the_real_module(name):
    real = pytest.importorskip(name)
    missing = [n for n in dir(real) if not n.startswith("__") and not hasattr(stand_in(name), n)]
    assert missing == []


def test_lookups_and_calls_fail_with_errors_that_name_the_edge_limitation():
    with pytest.raises(KeyError, match="no user database"):
        stand_in("pwd").getpwuid(0)
    assert stand_in("grp").getgrall() == []
    with pytest.raises(OSError, match="resource.getrlimit is not available on python.wasm") as info:
        stand_in("resource").getrlimit(7)
    assert info.value.errno == errno.ENOSYS
    with pytest.raises(OSError, match="libbz2 is not built"):
        stand_in("_bz2").BZ2Compressor()
    with pytest.raises(OSError, match="fcntl.flock"):
        stand_in("fcntl").flock(0, 2)
    with pytest.raises(OSError, match="ctypes.CDLL is not available.*no libffi"):
        stand_in("ctypes").CDLL
    sqlite3 = stand_in("sqlite3")
    with pytest.raises(OSError, match="bind a D1 database"):
        sqlite3.connect(":memory:")
    assert issubclass(sqlite3.OperationalError, sqlite3.Error)
    assert stand_in("multiprocessing").cpu_count() == 1


def test_syslog_writes_to_the_workers_log_with_its_priority(host):
    syslog = stand_in("syslog")
    syslog.openlog("app")
    syslog.syslog(syslog.LOG_ERR, "disk on fire")
    syslog.syslog("plain info")
    syslog.setlogmask(syslog.LOG_UPTO(syslog.LOG_WARNING))
    syslog.syslog(syslog.LOG_DEBUG, "masked")
    assert (40, "app: disk on fire") in host.logs and (20, "app: plain info") in host.logs
    assert not any("masked" in m for _, m in host.logs)


def test_install_changes_nothing_outside_python_wasm():
    before = list(sys.path), list(sys.meta_path)
    _wasi.install()
    assert (list(sys.path), list(sys.meta_path)) == before



def test_the_ssl_stand_in_keeps_context_settings_and_refuses_a_handshake_naming_why():
    # The stdlib's ssl.py (3.13's, on python.wasm) runs over it: the worker scenario "the stdlib surface"
    _ssl = stand_in("_ssl")
    client = _ssl._SSLContext(_ssl.PROTOCOL_TLS_CLIENT)
    assert (client.verify_mode, client.check_hostname, client.minimum_version) == (_ssl.CERT_REQUIRED, True,
                                                                                   _ssl.PROTO_TLSv1_2)
    with pytest.raises(ValueError, match="check_hostname is enabled"):
        client.verify_mode = _ssl.CERT_NONE
    client.check_hostname = False
    client.verify_mode = _ssl.CERT_NONE
    assert _ssl._SSLContext(_ssl.PROTOCOL_TLS_SERVER).verify_mode == _ssl.CERT_NONE
    assert _ssl.txt2obj("1.3.6.1.5.5.7.3.1")[1] == "serverAuth" and _ssl.nid2obj(130)[1] == "clientAuth"
    bio = _ssl.MemoryBIO()
    bio.write(b"abc")
    assert (bio.pending, bio.read(2), bio.read()) == (3, b"ab", b"c")
    with pytest.raises(OSError, match="a TLS connection .wrap_socket. is not available on python.wasm.*host's fetch") as info:
        client._wrap_socket(None, False, "example.com")
    assert info.value.errno == errno.ENOSYS
