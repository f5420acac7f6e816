#!/usr/bin/env bash
# Run a test tier with its own temporary directory, removed when it ends (pass or fail): the bundles, builds,
# snapshots and workerd state the tiers write under $TMPDIR (node's os.tmpdir(), Python's tempfile, mktemp) used to
# stay in /tmp after every run, and reached 34 GB on one machine over a few weeks of runs.
#   hack/with-tmpdir.sh COMMAND [ARG]...
set -uo pipefail
dir=$(mktemp -d "${TMPDIR:-/tmp}/pymode-tier.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
TMPDIR="$dir" "$@"
