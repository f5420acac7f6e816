#!/usr/bin/env bash
# Run the pylib tests: a cached venv with pinned pytest and pymode (editable).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${XDG_CACHE_HOME:-$HOME/.cache}/pymode/venv-pylib"
python="${PYTHON:-python3}"
pytest_version="8.3.4"
jsonschema_version="4.26.0"  # the contracts tests check descriptions against schemas/ (schemas/README.md)

if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
# Reinstall only when the pins or the package metadata change.
stamp="$venv/.pymode-stamp"
# The editable install points at this checkout: another clone (or a deleted one) must reinstall it.
want="pytest==$pytest_version jsonschema==$jsonschema_version $(cksum < "$here/pyproject.toml") $here"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  "$venv/bin/python" -m pip install --quiet "pytest==$pytest_version" "jsonschema==$jsonschema_version"
  "$venv/bin/python" -m pip install --quiet -e "$here"
  echo "$want" > "$stamp"
fi
cd "$here"
exec "$venv/bin/python" -m pytest -q tests "$@"
