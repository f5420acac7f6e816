#!/usr/bin/env bash
# The unit tiers (`make test-unit`): desired-state code and pure logic tested without a cluster, an API server, the
# Cloudflare stand-in or a built runtime, in a few minutes. `make test` runs them with every other tier.
#   builder-image  tests/unit (pytest)           builder-image/test.sh --unit
#   cfstandin      test/*.unit.test.mjs (node)   cfstandin/test.sh --unit
#   operator       JUnit classes tagged "unit"   mvn ... test -Dgroups=unit (extra arguments go to Maven)
set -euo pipefail
cd "$(dirname "$0")/.."
builder-image/test.sh --unit
cfstandin/test.sh --unit
exec mvn -B -pl operator -am test -Dgroups=unit "$@"
