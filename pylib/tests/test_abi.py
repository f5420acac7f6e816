import struct
import sys

import pytest

from pymode import _abi, _native


def test_frames_round_trip_including_empty_and_binary_fields():
    fields = [b"get", b'{"key":"a"}', b"", bytes(range(256)) * 3]
    data = _abi.encode_frames(*fields)
    assert data[:4] == struct.pack("<I", 3) and data[4:7] == b"get"
    assert len(data) == sum(4 + len(f) for f in fields)
    assert _abi.decode_frames(data) == fields
    assert _abi.decode_frames(b"") == []


def test_request_and_result_helpers_round_trip():
    req = _abi.encode_request("put", {"key": "ü"}, b"\x00v")
    assert _abi.decode_request(req) == ("put", {"key": "ü"}, [b"\x00v"])
    res = _abi.encode_result(None, b"x", b"y")
    assert _abi.decode_result(res) == (None, [b"x", b"y"])


@pytest.mark.parametrize("data, message", [
    (b"\x05\x00", "truncated frame header"),
    (struct.pack("<I", 10) + b"abc", "declares 10 bytes but only 3 remain"),
])
def test_malformed_frames_are_rejected_with_a_clear_message(data, message):
    with pytest.raises(_abi.FrameError, match=message):
        _abi.decode_frames(data)


def test_error_payload_maps_to_kind_specific_exception():
    payload = _abi.encode_error("INVALID_ARGUMENT", "key must not be empty")
    err = _abi.error_from_status("kv", "MY_KV", "get", -3, payload)
    assert isinstance(err, _abi.KVError) and isinstance(err, _abi.HostError)
    assert (err.status, err.code, err.detail) == (-3, "INVALID_ARGUMENT", "key must not be empty")
    assert str(err) == "kv.get on binding 'MY_KV' failed: key must not be empty (INVALID_ARGUMENT, invalid argument)"
    tcp = _abi.error_from_status("tcp", "", "connect", -4, _abi.encode_error("IO_ERROR", "refused"))
    assert isinstance(tcp, ConnectionError) and isinstance(tcp, _abi.TcpError)
    assert str(tcp) == "tcp.connect failed: refused (IO_ERROR, I/O or network failure)"
    garbage = _abi.error_from_status("d1", "DB", "query", -1, b"\xff")
    assert isinstance(garbage, _abi.D1Error) and "unreadable error payload" in str(garbage)


def test_call_without_host_explains_how_to_get_one(monkeypatch):
    _native.uninstall()
    monkeypatch.setitem(sys.modules, "_pymode", None)  # makes `import _pymode` fail
    with pytest.raises(RuntimeError, match=r"pymode\._native\.install\(\)"):
        _abi.call("kv", "MY_KV", "get", {"key": "a"})


def test_abi_version_mismatch_is_refused(host, monkeypatch):
    monkeypatch.setattr(_native, "ABI_VERSION", 1)
    with pytest.raises(RuntimeError, match="ABI version 1 does not match"):
        _abi.call("kv", "MY_KV", "get", {"key": "a"})


def test_native_host_turns_bad_requests_into_statuses(host):
    with pytest.raises(_native.HostError) as info:
        _native.call("kv", "MY_KV", b"\x01\x00\x00")
    status, payload = info.value.args
    assert status == -3
    assert _abi.decode_frames(payload)[0].startswith(b'{"code":"INVALID_ARGUMENT"')
    with pytest.raises(_abi.HostError) as info:
        _abi.call("hyperdrive", "H", "connect", {})
    assert info.value.status == -6
    with pytest.raises(_abi.KVError) as info:
        _abi.call("kv", "MY_KV", "frobnicate", {})
    assert info.value.status == -3 and "unknown KV operation" in info.value.detail


def test_unknown_binding_status(host):
    with pytest.raises(_abi.R2Error) as info:
        _abi.call("r2", "NOPE", "get", {"key": "a"})
    assert info.value.status == -2
    assert info.value.detail == "no r2 binding named 'NOPE' (declared r2 bindings: BUCKET)"
    # KV names ending in _KV are KV bindings even when undeclared.
    assert _abi.call("kv", "SESSIONS_KV", "get", {"key": "a"}) == ({"found": False}, [])


def test_log_goes_to_the_host(host):
    import _pymode

    _pymode.log(20, "hello log")
    assert host.logs[-1] == (20, "hello log")
