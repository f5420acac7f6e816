#!/usr/bin/env bash
# Provisions the binaries Fabric8 kube-api-test needs (etcd, kube-apiserver, kubectl) without
# touching the internet beyond this machine's registries:
#   - etcd and kubectl: Debian trixie packages, fetched with a private apt state (the system's
#     sources are left alone) and unpacked, not installed;
#   - kube-apiserver: built from the Kubernetes Go sources through the Go module proxy (hack/lib/kubernetes.sh:
#     a wrapper module whose `replace` lines pin every staging module to the matching v0 release).
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
# shellcheck source=lib/kubernetes.sh
source "$(dirname "$0")/lib/kubernetes.sh"

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

# --- kube-apiserver from the Go module proxy (hack/lib/kubernetes.sh, shared with the cluster's components) ---
build_kube_apiserver() {
  kube_build "$K8S_VERSION" "$TARGET" kube-apiserver
  log "kube-apiserver: $("$TARGET/kube-apiserver" --version)"
}

[[ -x "$TARGET/etcd" && -x "$TARGET/kubectl" ]] || fetch_debian_binaries
[[ -x "$TARGET/kube-apiserver" ]] || build_kube_apiserver
log "provisioned $TARGET in $(( $(date +%s) - start ))s"
echo "$KUBE_API_TEST_DIR"
