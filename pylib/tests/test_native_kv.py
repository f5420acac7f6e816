import pytest

from pymode import _abi, _native
from pymode.env import KVError


def test_put_get_types(env):
    kv = env.MY_KV
    kv.put("text", "héllo")
    kv.put("blob", b"\x00\xff")
    kv.put("doc", {"a": [1, 2]})
    assert kv.get("text") == "héllo"
    assert kv.get("blob", type="bytes") == b"\x00\xff"
    assert kv.get("doc", type="json") == {"a": [1, 2]}
    assert kv.get("doc") == '{"a":[1,2]}'
    assert kv.get("missing") is None and kv.get("missing", type="json") is None
    with pytest.raises(ValueError, match="type must be one of text, json, bytes"):
        kv.get("text", type="stream")
    with pytest.raises(TypeError, match="KV value for 'x' must be str, bytes"):
        kv.put("x", 12)


def test_metadata_overwrite_and_delete(env):
    kv = env.MY_KV
    kv.put("k", "v1", metadata={"owner": "ada"})
    value, metadata = kv.get_with_metadata("k")
    assert (value, metadata) == ("v1", {"owner": "ada"})
    kv.put("k", "v2")
    assert kv.get_with_metadata("k") == ("v2", None)
    assert kv.get_with_metadata("nope").value is None
    kv.delete("k")
    kv.delete("k")  # deleting a missing key is fine
    assert kv.get("k") is None


def test_expiration_with_a_fake_clock(host):
    now = [1_000_000.0]
    host.kv._clock = lambda: now[0]
    from pymode.env import Env

    kv = Env().MY_KV
    kv.put("short", "x", expiration_ttl=60)
    kv.put("abs", "y", expiration=1_000_120)
    assert kv.list().keys == [{"name": "abs", "expiration": 1_000_120}, {"name": "short", "expiration": 1_000_060}]
    now[0] += 61
    assert kv.get("short") is None and kv.get("abs") == "y"
    assert [k["name"] for k in kv.list().keys] == ["abs"]
    with pytest.raises(KVError, match="expirationTtl must be at least 60 seconds"):
        kv.put("k", "v", expiration_ttl=30)
    with pytest.raises(KVError, match="at least 60 seconds in the future"):
        kv.put("k", "v", expiration=now[0] + 10)
    with pytest.raises(KVError, match="either expiration or expirationTtl"):
        kv.put("k", "v", expiration_ttl=100, expiration=now[0] + 100)


def test_list_prefix_limit_and_cursor(env):
    kv = env.MY_KV
    for name in ["b", "a", "user:3", "user:1", "user:2", "userx"]:
        kv.put(name, name)
    page = kv.list(prefix="user:", limit=2)
    assert [k["name"] for k in page.keys] == ["user:1", "user:2"]
    assert page.list_complete is False and page.cursor
    rest = kv.list(prefix="user:", limit=2, cursor=page.cursor)
    assert [k["name"] for k in rest.keys] == ["user:3"] and rest.list_complete and rest.cursor is None
    assert [k["name"] for k in kv.list().keys] == ["a", "b", "user:1", "user:2", "user:3", "userx"]
    # Namespaces are separate.
    assert env.OTHER_KV.list().keys == []
    with pytest.raises(KVError, match="limit must be between 1 and 1000"):
        kv.list(limit=0)
    with pytest.raises(KVError, match="was not returned by a list call"):
        kv.list(cursor="garbage!")


@pytest.mark.parametrize("key, status, message", [
    ("", -3, "key must not be empty"),
    ("k" * 513, -5, "longer than 512 bytes"),
    (".", -3, "is not allowed"),
])
def test_key_validation(env, key, status, message):
    with pytest.raises(KVError) as info:
        env.MY_KV.put(key, "v")
    assert info.value.status == status and message in str(info.value)


def test_metadata_limit(env):
    with pytest.raises(KVError) as info:
        env.MY_KV.put("k", "v", metadata={"x": "y" * 2000})
    assert info.value.status == -5


def test_wire_format_of_get(host):
    import _pymode

    _abi.call("kv", "MY_KV", "put", {"key": "k", "metadata": {"m": 1}}, b"value")
    raw = _pymode.call("kv", "MY_KV", _abi.encode_request("get", {"key": "k"}))
    assert _abi.decode_frames(raw) == [b'{"found":true,"metadata":{"m":1}}', b"value"]
    with pytest.raises(_native.HostError) as info:
        _pymode.call("kv", "MY_KV", _abi.encode_request("put", {"key": "k"}))
    assert info.value.args[0] == -3
    assert b"needs exactly one binary field" in info.value.args[1]


def test_state_persists_in_a_state_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("PYMODE_BINDINGS", "{}")
    _native.install(str(tmp_path), log_stream=None)
    try:
        _abi.call("kv", "KV", "put", {"key": "k"}, b"kept")
        _native.install(str(tmp_path), log_stream=None)  # a fresh host on the same directory
        assert _abi.call("kv", "KV", "get", {"key": "k"}) == ({"found": True}, [b"kept"])
        assert (tmp_path / "kv.sqlite3").is_file()
    finally:
        _native.uninstall()
