"""PYMODE_BINDINGS at Python's end (schemas/worker-vars/bindings.schema.json, schemas/README.md).

The host validates the description it writes (worker/src/runtime/config.ts; worker/test/contracts.test.ts checks
that end) and `env` takes it as written (`Env.from_host`). `parse_bindings` checks descriptions no host validated,
and refuses the invalid examples with its own errors. The schema's kinds are the registry's."""

import json
import re
from pathlib import Path

import jsonschema
import pytest

from pymode.env import BINDING_KINDS, Env, binding_types, parse_bindings

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
EXAMPLES = SCHEMAS / "examples" / "bindings"
SCHEMA = json.loads((SCHEMAS / "worker-vars" / "bindings.schema.json").read_text())
REJECTIONS = json.loads((EXAMPLES / "rejections.json").read_text())


def corpus(which):
    return sorted((EXAMPLES / which).glob("*.json"))


@pytest.mark.parametrize("path", corpus("valid"), ids=lambda p: p.name)
def test_env_reads_every_valid_description_as_the_host_wrote_it(path):
    description = json.loads(path.read_text())
    jsonschema.validate(description, SCHEMA)
    env = Env.from_host(json.dumps(description))
    for name, spec in description.items():
        value = env[name]
        if spec["type"] in ("var", "secret"):
            assert value == spec["value"]
        else:
            assert isinstance(value, BINDING_KINDS[spec["type"]])
    assert parse_bindings(description) == description


@pytest.mark.parametrize("path", corpus("invalid"), ids=lambda p: p.name)
def test_parse_bindings_refuses_every_invalid_description_with_its_own_error(path):
    description = json.loads(path.read_text())
    assert not jsonschema.Draft202012Validator(SCHEMA).is_valid(description)
    with pytest.raises(ValueError, match=re.escape(REJECTIONS[path.name]["pylib"])):
        parse_bindings(description)


def test_the_schema_names_the_registry_kinds():
    kinds = [t for branch in SCHEMA["additionalProperties"]["oneOf"] for t in branch["properties"]["type"]["enum"]]
    assert sorted(kinds) == sorted(binding_types())


def test_env_of_the_process_takes_the_host_description(monkeypatch):
    monkeypatch.setenv("PYMODE_BINDINGS", json.dumps({"GREETING": {"type": "var", "value": "hi"}}))
    assert Env().GREETING == "hi"
