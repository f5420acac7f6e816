"""What the dev server hands to `env`: bindings from worker.yaml, `.dev.vars`, `--env`.

The result is the PYMODE_BINDINGS description the edge host would pass
(`{"NAME": {"type": ..., "value"?: ...}}`), so `env` behaves the same.
"""

import io
import json
import os

from dotenv.parser import parse_stream

from ..cli.errors import CliError
from ..cli.project import DEV_VARS_FILE
from ..env import BINDING_KINDS, parse_bindings


def parse_dev_vars(text, source=DEV_VARS_FILE):
    """`KEY=VALUE` lines (dotenv syntax, read by python-dotenv) -> dict.

    Blank lines and `# comments` are skipped; `export KEY=...` is accepted.
    Values may be unquoted (a ` #` starts a comment, surrounding spaces go),
    'single-quoted' (literal) or "double-quoted" (\\n, \\t, \\", \\\\ escapes;
    may span lines). No `${VAR}` expansion (as before).
    """
    values = {}
    # parse_stream rather than dotenv_values: the latter logs and skips a bad line, the dev server refuses it.
    for binding in parse_stream(io.StringIO(text)):
        if binding.key is None and not binding.error:
            continue  # a comment or blank lines
        # A binding's text starts with the blank lines before it: count from its first statement.
        original = binding.original.string
        number = binding.original.line + original[: len(original) - len(original.lstrip())].count("\n")
        statement = original.strip().splitlines()[0] if original.strip() else ""
        if binding.error or binding.value is None or not binding.key.isidentifier():
            raise CliError(f"{source}, line {number}: expected KEY=VALUE with KEY a Python identifier "
                           f"and a value quoted or not, got {statement!r}")
        values[binding.key] = binding.value
    return values


def read_dev_vars(root):
    path = os.path.join(root, DEV_VARS_FILE)
    if not os.path.isfile(path):
        return {}
    with open(path, encoding="utf-8") as f:
        return parse_dev_vars(f.read(), source=path)


def parse_env_options(pairs):
    """`--env K=V` options -> dict (later ones win)."""
    values = {}
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        if not sep or not key.isidentifier():
            raise CliError(f"--env {pair!r}: expected KEY=VALUE with KEY a Python identifier")
        values[key] = value
    return values


def build_bindings(project, dev_vars, env_values):
    """-> (bindings dict, warnings list)."""
    warnings = []
    spec = project.spec.get("bindings") or {}
    where = project.worker_path
    bindings = {}

    def declare(name, spec_):
        if not isinstance(name, str) or not name.isidentifier():
            raise CliError(f"{where}: binding name {name!r} is not a Python identifier")
        if name in bindings:
            raise CliError(f"{where}: binding {name} is declared twice")
        bindings[name] = spec_

    for kind, cls in BINDING_KINDS.items():
        for item in spec.get(cls.SPEC_FIELD) or []:
            if not isinstance(item, dict) or "name" not in item:
                raise CliError(f"{where}: each spec.bindings.{cls.SPEC_FIELD} entry needs a name")
            declare(item["name"], {"type": kind})
    for name, value in (spec.get("vars") or {}).items():
        if not isinstance(value, str):
            raise CliError(f"{where}: spec.bindings.vars.{name} must be a string; quote it "
                           f"(the API server refuses other types)")
        declare(name, {"type": "var", "value": value})
    secrets = []
    for item in spec.get("secrets") or []:
        if not isinstance(item, dict) or "name" not in item:
            raise CliError(f"{where}: each spec.bindings.secrets entry needs a name")
        secrets.append(item["name"])
        if not isinstance(item["name"], str) or not item["name"].isidentifier():
            raise CliError(f"{where}: binding name {item['name']!r} is not a Python identifier")
        if item["name"] in bindings:
            raise CliError(f"{where}: binding {item['name']} is declared twice")

    for source, values in ((DEV_VARS_FILE, dev_vars), ("--env", env_values)):
        for name, value in values.items():
            current = bindings.get(name)
            if current is not None and current["type"] in BINDING_KINDS:
                raise CliError(f"{source} sets {name}, which worker.yaml declares as a {current['type']} binding")
            if current is not None and current["type"] == "var":
                bindings[name] = {"type": "var", "value": value}
            elif current is not None or name in secrets or source == DEV_VARS_FILE:
                bindings[name] = {"type": "secret", "value": value}
            else:
                bindings[name] = {"type": "var", "value": value}
    for name in secrets:
        if name not in bindings:
            warnings.append(f"secret {name} (worker.yaml) has no value: set it in {DEV_VARS_FILE} "
                            f"or with --env {name}=...; env.{name} is undefined until then")
    # the one check of the description the dev server's handler gets as PYMODE_BINDINGS (pymode.env takes a
    # host's description as the host validated it: schemas/worker-vars/bindings.schema.json)
    parse_bindings(bindings)
    return bindings, warnings


def describe(bindings):
    """`MY_KV (kv), GREETING (var), API_KEY (secret)`."""
    return ", ".join(f"{name} ({spec['type']})" for name, spec in sorted(bindings.items())) or "none"


def bindings_json(bindings):
    return json.dumps(bindings, separators=(",", ":"), sort_keys=True)
