#!/usr/bin/env bash
# Worker tests (called by `make test` after the runtime build):
#   npm ci (pinned lockfile; node_modules here, npm cache in ~/.npm), typecheck, vitest, then the
#   node-host suites once more on a Node with JSPI (scripts/node-jspi.sh).
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
npx --no-install vitest run "$@"
# The node-host suites again on a Node with JSPI: the same handlers through the JSPI driver (Node 20
# above runs them through Asyncify; workerd runs the JSPI bundles). Skipped when running a subset.
if [[ $# -eq 0 ]]; then
  node_jspi="$(scripts/node-jspi.sh)"
  echo "[worker/test.sh] vitest on $("$node_jspi" --version) (JSPI driver)"
  exec "$node_jspi" node_modules/vitest/vitest.mjs run test/python-node.test.ts test/python-workflow-node.test.ts test/extensions.test.ts test/cloudflare-api-node.test.ts test/upstream-api-node.test.ts test/pool-node.test.ts test/stdlib-assets.test.ts
fi
