#!/usr/bin/env bash
# Worker tests (called by `make test` after the runtime build):
#   npm ci (pinned lockfile; node_modules here, npm cache in ~/.npm), typecheck, vitest.
# The python.wasm suites read ${PYMODE_RUNTIME_DIR:-~/.cache/pymode/runtime/current} and fail
# (not skip) when it is missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
export npm_config_cache="${npm_config_cache:-$HOME/.npm}"
export npm_config_update_notifier=false
echo "[worker/test.sh] npm ci"
npm ci --no-audit --no-fund --loglevel=error
echo "[worker/test.sh] typecheck"
npx --no-install tsc --noEmit -p .
echo "[worker/test.sh] vitest"
exec npx --no-install vitest run "$@"
