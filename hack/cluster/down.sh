#!/usr/bin/env bash
# Stops the cluster hack/cluster/up.sh started: deletes the pods first (so no container outlives its shim), stops
# exactly the processes whose PIDs up.sh recorded, in reverse order, removes the network namespace (its bridge,
# veths and iptables rules go with it), unmounts whatever the kubelet mounted under the state directory and
# removes the kubelet's empty cgroups and log links. KEEP_STATE=1 keeps the state directory (etcd, registry,
# certificates) for the next up; by default it is removed.
set -uo pipefail
cd "$(dirname "$0")/../.."
STATE="${PYMODE_CLUSTER_DIR:-$PWD/.cluster}"
[[ -d "$STATE" ]] || exit 0
STATE="$(cd "$STATE" && pwd)"
PIDS=$STATE/pids
NODE=pymode-node
log() { echo "[cluster/down] $*" >&2; }
start=$(date +%s)

alive() { [[ -f "$PIDS/$1.pid" ]] && kill -0 "$(cat "$PIDS/$1.pid")" 2>/dev/null; }
stop() {
  local name=$1 pid
  [[ -f "$PIDS/$name.pid" ]] || return 0
  pid=$(cat "$PIDS/$name.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
  fi
  rm -f "$PIDS/$name.pid"
}

if alive kube-apiserver && alive kubelet; then
  bin=$(sed -nE 's/^export PYMODE_CLUSTER_BIN=(.*)$/\1/p' "$STATE/cluster.env" 2>/dev/null)
  KUBECONFIG=$STATE/pki/admin.kubeconfig timeout 60 "${bin:-/nonexistent}/kubectl" delete pods --all -A \
    --grace-period=2 --wait=true --timeout=50s >/dev/null 2>&1
fi
stop kube-proxy
stop kubelet
if alive containerd; then
  bin=$(sed -nE 's/^export PYMODE_CLUSTER_BIN=(.*)$/\1/p' "$STATE/cluster.env" 2>/dev/null)
  timeout 30 "${bin:-/nonexistent}/crictl" --runtime-endpoint "unix://$STATE/containerd/containerd.sock" rmp -fa >/dev/null 2>&1
fi
stop containerd
# Shims whose containerd is gone: only those started for this state directory (their command line names it).
for pid in $(pgrep -f "containerd-shim-runc-v2 .*-address $STATE/containerd/" 2>/dev/null); do kill "$pid" 2>/dev/null; done
stop scheduler
stop kcm
stop kube-apiserver
stop etcd
stop slirp
stop registry
ip netns del "$NODE" 2>/dev/null

# Mounts under the state directory (pod volumes, the kubelet's bind mount of its root dir, container rootfs),
# deepest first.
awk -v s="$STATE/" '$5 ~ "^"s {print $5}' /proc/self/mountinfo | sort -r | while read -r m; do
  umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
done
[[ -n "$(awk -v s="$STATE/" '$5 ~ "^"s' /proc/self/mountinfo)" ]] && log "still mounted under $STATE (see /proc/self/mountinfo)"
# The kubelet's cgroups (cgroupfs driver), once empty, and its links in /var/log/containers.
for c in /sys/fs/cgroup/*/kubepods; do
  [[ -d "$c" ]] && find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null
done
find /var/log/containers -maxdepth 1 -type l -lname "$STATE/*" -delete 2>/dev/null
rmdir /var/log/containers 2>/dev/null

if [[ "${KEEP_STATE:-0}" != 1 ]]; then
  rm -rf "$STATE"
fi
log "down in $(( $(date +%s) - start ))s"
