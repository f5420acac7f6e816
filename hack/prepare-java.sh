#!/usr/bin/env bash
# What the Java tiers and benchmarks run on, provisioned or reused from the caches: the API-server binaries
# (prints KUBE_API_TEST_DIR on its last line), the OCI registry and oras, python.wasm, and the node packages
# of the worker bundler and the Cloudflare stand-in.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="$(hack/provision-kube-api-test.sh | tail -n 1)"
hack/provision-oci-tools.sh >/dev/null
builder-image/runtime/build.sh >&2
[[ -d worker/node_modules/esbuild ]] || (cd worker && npm ci --no-audit --no-fund >&2)
[[ -d cfstandin/node_modules/miniflare ]] || (cd cfstandin && npm ci --no-audit --no-fund >&2)
echo "$dir"
