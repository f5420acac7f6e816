#!/usr/bin/env bash
# cfstandin tests: exact installs from package-lock.json, then node's test runner (one file at a
# time: each file starts workerd processes and the machine has 2 cores).
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
node --test --test-concurrency=1 --test-reporter=spec test/*.test.mjs
