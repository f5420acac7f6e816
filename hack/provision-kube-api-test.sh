#!/usr/bin/env bash
# Provisions the binaries Fabric8 kube-api-test needs (etcd, kube-apiserver, kubectl) without
# touching the internet beyond this machine's registries:
#   - etcd and kubectl: Debian trixie packages, fetched with a private apt state (the system's
#     sources are left alone) and unpacked, not installed;
#   - kube-apiserver: built from the Kubernetes Go sources through the Go module proxy, using a
#     wrapper module whose `replace` lines pin every staging module to the matching v0 release.
# Result: $KUBE_API_TEST_DIR/k8s/<version>-linux-amd64/{etcd,kube-apiserver,kubectl}
# Everything is cached under ${XDG_CACHE_HOME:-~/.cache}/pymode, so only the first run pays.
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-1.34.2}"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/pymode"
export KUBE_API_TEST_DIR="${KUBE_API_TEST_DIR:-$CACHE/kubeapitest}"
TARGET="$KUBE_API_TEST_DIR/k8s/${K8S_VERSION}-linux-amd64"

log() { echo "[provision-kube-api-test] $*" >&2; }
# shellcheck source=lib/debian.sh
source "$(dirname "$0")/lib/debian.sh"

if [[ -x "$TARGET/etcd" && -x "$TARGET/kube-apiserver" && -x "$TARGET/kubectl" ]]; then
  log "cached: $TARGET"
  echo "$KUBE_API_TEST_DIR"
  exit 0
fi
mkdir -p "$TARGET"
start=$(date +%s)

# --- etcd + kubectl from Debian trixie ---
fetch_debian_binaries() {
  local extract="$CACHE/debian-extract/kube"
  rm -rf "$extract"
  debian_extract "$extract" etcd-server kubectl
  install -m 0755 "$extract/usr/bin/etcd" "$TARGET/etcd"
  install -m 0755 "$extract/usr/bin/kubectl" "$TARGET/kubectl"
  log "etcd: $("$TARGET/etcd" --version | head -1); kubectl: $("$TARGET/kubectl" version --client 2>/dev/null | head -1)"
}

# --- kube-apiserver from the Go module proxy ---
build_kube_apiserver() {
  local mod="$CACHE/kube-apiserver-build/v$K8S_VERSION"
  local staging_version="v0.${K8S_VERSION#1.}"
  mkdir -p "$mod"
  local gomod_url="${GOPROXY_URL:-https://proxy.golang.org}/k8s.io/kubernetes/@v/v${K8S_VERSION}.mod"
  # The staging module list comes from kubernetes' own go.mod, so a version bump needs no edit here.
  local staging
  staging=$(curl -fsSL "$gomod_url" | sed -nE 's#^\s*(k8s\.io/[a-z0-9-]+) => \./staging/.*#\1#p')
  [[ -n "$staging" ]] || { log "no staging modules found in $gomod_url"; exit 1; }
  {
    echo "module pymode.dev/kube-apiserver-build"
    echo
    echo "go 1.24.0"
    echo
    echo "require k8s.io/kubernetes v${K8S_VERSION}"
    echo
    for m in $staging; do echo "replace $m => $m $staging_version"; done
  } > "$mod/go.mod"
  cat > "$mod/tools.go" <<'GO'
//go:build tools

// Package tools pins k8s.io/kubernetes so `go mod tidy` keeps it; the binary is built from
// k8s.io/kubernetes/cmd/kube-apiserver directly.
package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver/app"
GO
  (cd "$mod" && GOFLAGS=-mod=mod go mod tidy -e >/dev/null 2>&1 || true
   cd "$mod" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=v${K8S_VERSION} -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=${K8S_VERSION#1.}" \
      -o "$TARGET/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver)
  chmod 0755 "$TARGET/kube-apiserver"
  log "kube-apiserver: $("$TARGET/kube-apiserver" --version)"
}

[[ -x "$TARGET/etcd" && -x "$TARGET/kubectl" ]] || fetch_debian_binaries
[[ -x "$TARGET/kube-apiserver" ]] || build_kube_apiserver
log "provisioned $TARGET in $(( $(date +%s) - start ))s"
echo "$KUBE_API_TEST_DIR"
