#!/usr/bin/env bash
# Run the pylib tests in the cached venv (pylib/venv.sh: pinned pytest, pymode editable).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="$("$here/venv.sh")"
cd "$here"
exec "$python" -m pytest -q tests "$@"
