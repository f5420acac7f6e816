#!/usr/bin/env bash
# Provisions a real OCI registry (Debian's docker-registry, the CNCF distribution registry) and the oras CLI
# from Debian trixie packages, unpacked (not installed) into ${XDG_CACHE_HOME:-~/.cache}/pymode/oci-tools/bin.
# Prints that bin directory. A fast no-op once cached.
set -euo pipefail
# shellcheck source=lib/debian.sh
source "$(dirname "$0")/lib/debian.sh"
BIN="${XDG_CACHE_HOME:-$HOME/.cache}/pymode/oci-tools/bin"
if [[ -x "$BIN/registry" && -x "$BIN/oras" ]]; then
  echo "$BIN"
  exit 0
fi
extract="${XDG_CACHE_HOME:-$HOME/.cache}/pymode/debian-extract/oci"
rm -rf "$extract"
debian_extract "$extract" docker-registry oras
mkdir -p "$BIN"
install -m 0755 "$extract/usr/bin/docker-registry" "$BIN/registry"
install -m 0755 "$extract/usr/bin/oras" "$BIN/oras"
echo "[provision-oci-tools] $("$BIN/registry" --version 2>&1 | head -1); oras $("$BIN/oras" version 2>&1 | head -1)" >&2
echo "$BIN"
