#!/usr/bin/env bash
# Java tiers of every Maven module: unit tests; the real kube-apiserver tier (CRD validation, controllers,
# builder Jobs, leader election, health, metrics); builds on a real registry with the real builder; the
# end-to-end tier (the Cloudflare stand-in running deployed workers); the Helm chart; the CRD drift checks.
set -euo pipefail
cd "$(dirname "$0")/.."
KUBE_API_TEST_DIR="$(hack/provision-kube-api-test.sh | tail -n 1)"
export KUBE_API_TEST_DIR
hack/provision-oci-tools.sh >/dev/null
# What the builds and the stand-in run on: python.wasm (a cached no-op when built) and the node packages.
builder-image/runtime/build.sh
[[ -d worker/node_modules/esbuild ]] || (cd worker && npm ci --no-audit --no-fund)
[[ -d cfstandin/node_modules/miniflare ]] || (cd cfstandin && npm ci --no-audit --no-fund)
exec mvn -B --fail-at-end verify
