#!/usr/bin/env bash
# Prints the python of pylib's cached venv (pinned pytest and jsonschema, pymode installed editable with its
# dependencies), creating or updating it first. The pylib tests and the end-to-end tests' `pymode`
# CLI runs use it: the CLI needs its dependencies (PyYAML, tomlkit, ...), the system python may lack them.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${XDG_CACHE_HOME:-$HOME/.cache}/pymode/venv-pylib"
python="${PYTHON:-python3}"
pytest_version="8.3.4"
jsonschema_version="4.26.0"  # the contracts tests check descriptions against schemas/ (schemas/README.md)

if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv" >&2
fi
# Reinstall only when the pins or the package metadata change.
stamp="$venv/.pymode-stamp"
# The editable install points at this checkout: another clone (or a deleted one) must reinstall it.
want="pytest==$pytest_version jsonschema==$jsonschema_version $(cksum < "$here/pyproject.toml") $here"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  "$venv/bin/python" -m pip install --quiet "pytest==$pytest_version" "jsonschema==$jsonschema_version" >&2
  "$venv/bin/python" -m pip install --quiet -e "$here" >&2
  echo "$want" > "$stamp"
fi
echo "$venv/bin/python"
