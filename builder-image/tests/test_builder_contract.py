"""The builder's command line at the builder's end (schemas/builder-inputs.schema.json, schemas/README.md).

Each example of schemas/examples/builder-inputs is rendered as the operator passes values (`--option=VALUE`, one
argv element each) and read by pymode_build.py as it reads its own: the command line parser, then the second check
of the values (check_inputs). Valid examples are read as they are; invalid ones are refused the way
rejections.json says (argparse's usage error, exit 2, or an input error naming the value). The writer's end is the
operator's BuilderInputsContractTest."""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import jsonschema
import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "builder-image" / "bundler"))
import pymode_build as b  # noqa: E402

SCHEMA = json.loads((REPO / "schemas" / "builder-inputs.schema.json").read_text())
EXAMPLES = REPO / "schemas" / "examples" / "builder-inputs"
REJECTIONS = json.loads((EXAMPLES / "rejections.json").read_text())


def argv(document: dict) -> list[str]:
    """The command line of a document: the command, then `--option=VALUE` for each value (once per list item)."""
    out = [document["command"]]
    for name, value in document.items():
        if name != "command":
            out += [f"--{name.replace('_', '-')}={item}" for item in (value if isinstance(value, list) else [value])]
    return out


def read(document: dict) -> dict:
    """What the builder takes from the command line: its options, unset ones left out, as the schema's document."""
    args = b.command_line().parse_args(argv(document))
    b.check_inputs(args)
    return {name: value for name, value in vars(args).items() if value is not None and value != []}


def corpus(which: str) -> list[Path]:
    return sorted((EXAMPLES / which).glob("*.json"))


@pytest.mark.parametrize("path", corpus("valid"), ids=lambda p: p.name)
def test_the_builder_reads_every_valid_example_as_written(path):
    document = json.loads(path.read_text())
    taken = read(document)
    assert {name: taken[name] for name in document} == document
    jsonschema.validate(taken, SCHEMA)  # with argparse's defaults (wizer off, stdlib assets) too


@pytest.mark.parametrize("path", corpus("invalid"), ids=lambda p: p.name)
def test_the_builder_refuses_every_invalid_example_its_way(path, capsys):
    document = json.loads(path.read_text())
    assert not jsonschema.Draft202012Validator(SCHEMA).is_valid(document)
    rejection = REJECTIONS[path.name]
    if "usage" in rejection:
        with pytest.raises(SystemExit) as exit_:
            read(document)
        assert exit_.value.code == 2
        assert rejection["usage"] in capsys.readouterr().err
    else:
        with pytest.raises(b.BuildError, match=re.escape(rejection["builder"])):
            read(document)
