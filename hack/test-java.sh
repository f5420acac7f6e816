#!/usr/bin/env bash
# Java tiers of every Maven module: unit tests; the real kube-apiserver tier (CRD validation, controllers,
# builder Jobs, leader election, health, metrics); builds on a real registry with the real builder; the
# end-to-end tier (the Cloudflare stand-in running deployed workers); the Helm chart; the CRD drift checks.
set -euo pipefail
cd "$(dirname "$0")/.."
KUBE_API_TEST_DIR="$(hack/prepare-java.sh | tail -n 1)"
export KUBE_API_TEST_DIR
exec mvn -B --fail-at-end verify "$@"
