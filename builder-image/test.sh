#!/usr/bin/env bash
# Runtime tests (called by `make test`): builds or reuses the cached PyMode runtime
# (builder-image/runtime/build.sh; a cold build takes ~15 min on 2 cores, a warm one seconds),
# then runs the pytest suite in builder-image/tests against it under node:wasi.
#   PYMODE_TEST_FULL=1  also repeat the Asyncify pass and compare bytes (minutes, ~3 GB RAM)
#   --unit              only the unit tier (tests/unit: the builder's own logic, no runtime, seconds)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/pymode"
venv="$cache/venv-builder"
pytest_version="8.3.4"
pyyaml_version="6.0.2"  # the bad-input corpus (testdata/) is YAML
jsonschema_version="4.26.0"  # the contracts tests check the builder's inputs against schemas/ (schemas/README.md)

command -v node >/dev/null || { echo "builder-image/test.sh: node is required" >&2; exit 1; }

unit_only=false
if [ "${1:-}" = "--unit" ]; then
  unit_only=true
  shift
fi

# The unit tier needs no runtime: skip the build (a cold one takes ~15 min).
runtime=""
$unit_only || runtime="$("$here/runtime/build.sh")"

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
stamp="$venv/.pymode-stamp"
wanted="pytest==$pytest_version pyyaml==$pyyaml_version jsonschema==$jsonschema_version"
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  # shellcheck disable=SC2086 # three requirements, split on purpose
  "$venv/bin/python" -m pip install --quiet $wanted
  echo "$wanted" > "$stamp"
fi
cd "$here"
if $unit_only; then
  exec "$venv/bin/python" -m pytest -q tests/unit "$@"
fi
PYMODE_TEST_RUNTIME="$runtime" exec "$venv/bin/python" -m pytest -q tests "$@"
