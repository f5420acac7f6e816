#!/usr/bin/env bash
# Provisions everything the single-node cluster (hack/cluster/up.sh) and the daemonless image builds
# (hack/cluster/images.sh) need, cached so that only the first run pays:
#   - Debian bookworm packages: containerd, runc, the CNI plugins, slirp4netns, iptables (used only inside the
#     node's network namespace), buildah, umoci, skopeo, mmdebstrap. Installed with apt; no service is started
#     (this machine kind has no init system, and the scripts start every daemon themselves, by PID);
#   - Kubernetes v$K8S_VERSION node components built from the Go sources (kube-apiserver, etcd and kubectl come
#     from hack/provision-kube-api-test.sh, shared with the API-server test tier);
#   - crictl, helm and CoreDNS built from their Go sources; the pause program (hack/cluster/pause).
# Prints the bin directory (~/.cache/pymode/cluster/<versions>/bin) on its last line.
set -euo pipefail
cd "$(dirname "$0")/../.."
source hack/cluster/versions.sh
source hack/lib/kubernetes.sh
log() { echo "[cluster/provision] $*" >&2; }

CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/pymode"
BIN="$CACHE/cluster/k8s-$K8S_VERSION/bin"
mkdir -p "$BIN"
start=$(date +%s)

# --- Debian packages (binaries that link against this machine's libraries) ---
packages=(containerd runc containernetworking-plugins slirp4netns iptables buildah umoci skopeo mmdebstrap uidmap)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if (( ${#missing[@]} )); then
  log "installing Debian packages: ${missing[*]}"
  # policy-rc.d 101 keeps maintainer scripts from starting containerd: every daemon is started by up.sh.
  if [[ ! -x /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 0755 /usr/sbin/policy-rc.d
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# --- API-server binaries (shared with the API-server tier) ---
KUBE_API_TEST_DIR="$(hack/provision-kube-api-test.sh | tail -n 1)"
api_bin="$KUBE_API_TEST_DIR/k8s/$K8S_VERSION-linux-amd64"
for b in etcd kube-apiserver kubectl; do ln -sf "$api_bin/$b" "$BIN/$b"; done

# --- Kubernetes node components ---
need=()
for c in kubelet kube-proxy kube-controller-manager kube-scheduler; do [[ -x "$BIN/$c" ]] || need+=("$c"); done
if (( ${#need[@]} )); then
  log "building ${need[*]} v$K8S_VERSION from the Kubernetes Go sources (a few minutes, once)"
  kube_build "$K8S_VERSION" "$BIN" "${need[@]}"
fi

# --- Go tools ---
go_tool() { # name module@version
  [[ -x "$BIN/$1" ]] && return 0
  log "building $1 ($2)"
  GOBIN="$BIN" CGO_ENABLED=0 GOFLAGS=-mod=mod go install -trimpath -ldflags "-s -w" "$2"
}
go_tool crictl "sigs.k8s.io/cri-tools/cmd/crictl@$CRICTL_VERSION"
go_tool helm "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
go_tool coredns "github.com/coredns/coredns@$COREDNS_VERSION"
if [[ ! -x "$BIN/pause" ]]; then
  (cd hack/cluster/pause && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$BIN/pause" .)
fi

log "provisioned $BIN in $(( $(date +%s) - start ))s"
echo "$BIN"
