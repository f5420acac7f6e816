"""What the dev server hands to `env`: bindings from worker.yaml, `.dev.vars`, `--env`.

The result is the PYMODE_BINDINGS description the edge host would pass
(`{"NAME": {"type": ..., "value"?: ...}}`), so `env` behaves the same.
"""

import json
import os
import re

from ..cli.errors import CliError
from ..cli.project import DEV_VARS_FILE
from ..env import BINDING_KINDS, parse_bindings

_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\", "$": "$"}
_KEY = re.compile(r"^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s?(.*)$", re.S)


def parse_dev_vars(text, source=DEV_VARS_FILE):
    """`KEY=VALUE` lines (dotenv style) -> dict.

    Blank lines and `# comments` are skipped; `export KEY=...` is accepted.
    Values may be unquoted (a ` #` starts a comment, surrounding spaces go),
    'single-quoted' (literal) or "double-quoted" (\\n, \\t, \\", \\\\ escapes;
    may span lines).
    """
    values = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        number = i + 1
        line = lines[i].strip()
        i += 1
        if not line or line.startswith("#"):
            continue
        match = _KEY.match(line)
        if not match:
            raise CliError(f"{source}, line {number}: expected KEY=VALUE with KEY a Python identifier, "
                           f"got {line!r}")
        key, raw = match.group(1), match.group(2).strip()
        if raw.startswith('"'):
            body = raw[1:]
            while not _closing_double(body):
                if i >= len(lines):
                    raise CliError(f"{source}, line {number}: the double-quoted value of {key} is not closed")
                body += "\n" + lines[i]
                i += 1
            end = _closing_double(body)
            rest = body[end + 1 :].strip()
            value = re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), body[:end], flags=re.S)
        elif raw.startswith("'"):
            end = raw.find("'", 1)
            if end < 0:
                raise CliError(f"{source}, line {number}: the single-quoted value of {key} is not closed")
            value, rest = raw[1:end], raw[end + 1 :].strip()
        else:
            value = re.split(r"\s+#", raw, maxsplit=1)[0].strip()
            rest = ""
        if rest and not rest.startswith("#"):
            raise CliError(f"{source}, line {number}: unexpected {rest!r} after the value of {key}")
        values[key] = value
    return values


def _closing_double(body):
    """Index of the unescaped closing quote in `body`, or None."""
    i = 0
    while i < len(body):
        if body[i] == "\\":
            i += 2
            continue
        if body[i] == '"':
            return i
        i += 1
    return None


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
