#!/usr/bin/env bash
# Java tiers: unit tests, the real kube-apiserver tier (CRD validation, controllers), and the CRD drift check.
set -euo pipefail
cd "$(dirname "$0")/.."
KUBE_API_TEST_DIR="$(hack/provision-kube-api-test.sh | tail -n 1)"
export KUBE_API_TEST_DIR
exec mvn -B verify
