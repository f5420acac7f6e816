import json

import pytest

from pymode.env import D1Database, Env, KVNamespace, R2Bucket, parse_bindings

from conftest import BINDINGS


def test_env_reads_bindings_from_the_environment(monkeypatch):
    monkeypatch.setenv("PYMODE_BINDINGS", json.dumps(BINDINGS))
    env = Env()
    assert isinstance(env.MY_KV, KVNamespace) and env.MY_KV.name == "MY_KV"
    assert isinstance(env.BUCKET, R2Bucket) and isinstance(env["DB"], D1Database)
    assert env.GREETING == "hello" and env.API_TOKEN == "s3cr3t-t0ken"
    assert env.MY_KV is env.MY_KV  # one object per binding
    assert "DB" in env and "NOPE" not in env and env.get("NOPE", 1) == 1


def test_undeclared_kv_names_default_to_kv_and_others_fail_clearly():
    env = Env({"GREETING": {"type": "var", "value": "hi"}})
    assert isinstance(env.KV, KVNamespace) and isinstance(env.CACHE_KV, KVNamespace)
    assert "SESSIONS_KV" in env
    with pytest.raises(AttributeError, match=r"env has no binding 'BUCKET' \(declared bindings: GREETING\)"):
        env.BUCKET
    with pytest.raises(KeyError):
        env["BUCKET"]
    # A declared binding overrides the naming rule.
    assert isinstance(Env({"FILES_KV": {"type": "r2"}}).FILES_KV, R2Bucket)


def test_secrets_never_appear_in_repr_or_str():
    env = Env(BINDINGS)
    for text in (repr(env), str(env), f"{env}", repr([env])):
        assert "s3cr3t-t0ken" not in text
    assert repr(env) == "Env(API_TOKEN=<secret>, BUCKET=<r2>, DB=<d1>, GREETING='hello', MY_KV=<kv>)"


def test_env_is_read_only():
    env = Env(BINDINGS)
    with pytest.raises(AttributeError, match="read-only"):
        env.GREETING = "x"


@pytest.mark.parametrize("raw, message", [
    ("{not json", "PYMODE_BINDINGS is not valid JSON"),
    ("[]", "must be a JSON object"),
    ({"X": {"type": "hyperdrive"}}, "binding 'X' needs a type, one of kv, r2, d1, queue, service, var, secret"),
    ({"X": {"type": "secret"}}, "secret binding 'X' needs a string value"),
    ({"not-valid": {"type": "kv"}}, "is not a valid identifier"),
])
def test_bad_binding_descriptions(raw, message):
    with pytest.raises(ValueError, match=message):
        parse_bindings(raw)


def test_undeclared_names_follow_upstream_pymodes_conventions_and_a_declaration_wins(monkeypatch):
    from pymode.env import binding_type

    assert [binding_type({}, n) for n in ("KV", "CACHE_KV", "R2", "FILES_R2", "D1", "USERS_D1", "MAIN_DB", "DB", "OTHER")] \
        == ["kv", "kv", "r2", "r2", "d1", "d1", "d1", None, None]
    assert binding_type({"FILES_R2": {"type": "kv"}}, "FILES_R2") == "kv"


def test_d1_results_read_as_attributes_or_keys_and_env_is_importable_from_workers():
    from pymode.env import D1Result, Env
    from pymode.workers import Env as UpstreamEnv

    result = D1Result([{"n": 1}], True, {"changes": 0})
    assert result["results"] == result.results == [{"n": 1}] and result["success"] is True
    with pytest.raises(KeyError):
        result["rows"]
    assert issubclass(UpstreamEnv, Env) and UpstreamEnv is not Env  # upstream's flavour (test_upstream_env.py)
