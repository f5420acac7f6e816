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
from pymode._wasi import patches

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


def test_install_outside_python_wasm_only_watches_for_anyio():
    path = list(sys.path)
    _wasi.install()
    assert sys.path == path
    watched = {f.name for f in sys.meta_path if isinstance(f, patches._PatchWhenImported)}
    assert watched <= {"anyio._backends._asyncio"}


# anyio's asyncio backend as far as the patch uses it: its thread pool stands for the real one
FAKE_ANYIO_BACKEND = """
import asyncio, threading
library = []

def set_current_async_library(name):
    library.append(name)

class Limiter:
    borrowed = 0
    async def __aenter__(self):
        Limiter.borrowed += 1
    async def __aexit__(self, *exc):
        Limiter.borrowed -= 1

class AsyncIOBackend:
    @classmethod
    async def checkpoint(cls):
        await asyncio.sleep(0)

    @classmethod
    def current_default_thread_limiter(cls):
        return Limiter()

    @classmethod
    async def run_sync_in_worker_thread(cls, func, args, abandon_on_cancel=False, limiter=None):
        return await asyncio.to_thread(lambda: ("thread pool", func(*args)))
"""


@pytest.fixture
def fake_anyio(tmp_path, monkeypatch):
    package = tmp_path / "anyio" / "_backends"
    package.mkdir(parents=True)
    (tmp_path / "anyio" / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "_asyncio.py").write_text(FAKE_ANYIO_BACKEND)
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [n for n in sys.modules if n == "anyio" or n.startswith("anyio.")]:
        monkeypatch.delitem(sys.modules, name)
    yield
    for name in [n for n in sys.modules if n == "anyio" or n.startswith("anyio.")]:
        del sys.modules[name]
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, patches._PatchWhenImported)
                        or f.name != "anyio._backends._asyncio"]


def test_on_pymodes_loop_anyios_thread_pool_runs_calls_inline_elsewhere_in_threads(fake_anyio):
    # natively the dev server runs handlers on pymode's loop, which threads cannot wake (pymode._aio)
    import asyncio
    import contextvars
    import threading

    from pymode import _aio

    _wasi.install()
    from anyio._backends import _asyncio as backend  # patched as it is imported

    var = contextvars.ContextVar("var", default="caller")

    def work(x):
        var.set("pool")
        try:
            asyncio.get_running_loop()
            loop = "running"
        except RuntimeError:
            loop = "none"
        return x, threading.get_ident() == caller, loop

    async def call(*args, **kwargs):
        result = await backend.AsyncIOBackend.run_sync_in_worker_thread(*args, **kwargs)
        return result, var.get(), backend.Limiter.borrowed

    caller = threading.get_ident()
    assert _aio.MiniLoop().run(call(work, (7,))) == ((7, True, "none"), "caller", 0)
    assert backend.library == [None]  # anyio's async-library marker, cleared for the call

    def fails():
        raise KeyError("inline")

    with pytest.raises(KeyError, match="inline"):
        _aio.MiniLoop().run(call(fails, ()))
    # any other loop: anyio's own pool, untouched
    assert asyncio.run(call(work, (8,)))[0] == ("thread pool", (8, False, "none"))



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
