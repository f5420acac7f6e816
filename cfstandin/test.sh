#!/usr/bin/env bash
# cfstandin tests: exact installs from package-lock.json, then node's test runner (one file at a
# time: each file starts workerd processes and the machine has 2 cores).
#   --unit   only the unit tier (test/*.unit.test.mjs: no server, no workerd; seconds)
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
files=(test/*.test.mjs)
if [ "${1:-}" = "--unit" ]; then
  files=(test/*.unit.test.mjs)
fi
node --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
