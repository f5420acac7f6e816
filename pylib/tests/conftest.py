import json

import pytest

from pymode import _native

BINDINGS = {
    "MY_KV": {"type": "kv"},
    "BUCKET": {"type": "r2"},
    "DB": {"type": "d1"},
    "GREETING": {"type": "var", "value": "hello"},
    "API_TOKEN": {"type": "secret", "value": "s3cr3t-t0ken"},
}


@pytest.fixture
def host(monkeypatch):
    """An in-memory native host installed as `_pymode`, with BINDINGS in the environment."""
    monkeypatch.setenv("PYMODE_BINDINGS", json.dumps(BINDINGS))
    native = _native.install(None, log_stream=None)
    yield native
    _native.uninstall()


@pytest.fixture
def env(host):
    from pymode.env import Env

    return Env()
