#!/usr/bin/env bash
# The cluster tier (`make test-cluster`): brings up the real single-node cluster (hack/cluster/up.sh) unless one is
# running, builds and pushes the operator and builder images, publishes the runtime, runs the JUnit tests tagged
# `cluster` (delivery-tests: helm install/upgrade/uninstall, builder Jobs as pods, leader failover, Flux syncing a
# loopback git repository with Flux installed by hack/cluster/flux.sh), stops the
# cluster it started, and checks that the host was left as it was (sysctls, forwarding, iptables, mounts).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
log() { echo "[test-cluster] $*" >&2; }

# What the node must never change on the host.
host_state() {
  for s in net/ipv4/ip_forward vm/overcommit_memory vm/panic_on_oom kernel/panic kernel/panic_on_oops \
           kernel/keys/root_maxkeys kernel/keys/root_maxbytes net/netfilter/nf_conntrack_max; do
    [[ -r /proc/sys/$s ]] && echo "sysctl $s=$(cat /proc/sys/$s)"
  done
  if command -v iptables-save >/dev/null; then
    echo "iptables chains KUBE-/CNI-: $(iptables-save 2>/dev/null | grep -cE '^:(KUBE|CNI)-' || true)"
  fi
  echo "host interfaces: $(ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -vE '^(veth|pymode0)' | sort | tr '\n' ' ')"
}
# Provisioning first: it may install Debian packages (iptables among them), and the snapshot must be taken with the
# same tools as the one after the run (on a fresh machine iptables-save appeared only during the run, and an empty
# ruleset then read as a change).
hack/cluster/provision.sh >/dev/null
before=$(host_state)

KUBE_API_TEST_DIR="$(hack/prepare-java.sh | tail -n 1)"
export KUBE_API_TEST_DIR
RUNTIME_DIR="${PYMODE_RUNTIME_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pymode/runtime/current}"
mvn -B -q install -DskipTests

# A cluster that is already running (make cluster-up, KEEP_RUNNING=1) is used and left running.
started=1
env_file="${PYMODE_CLUSTER_DIR:-$ROOT/.cluster}/cluster.env"
if [[ -f "$env_file" ]] && (source "$env_file" && "$PYMODE_CLUSTER_BIN/kubectl" get --raw /readyz) >/dev/null 2>&1; then
  started=0
fi
t0=$(date +%s)
source "$(hack/cluster/up.sh | tail -n 1)"
log "cluster up in $(( $(date +%s) - t0 ))s"
finish() {
  local rc=$?
  if [[ $started == 1 && "${KEEP_RUNNING:-0}" != 1 ]]; then hack/cluster/down.sh || true; fi
  if [[ $started == 1 ]]; then
    after=$(host_state)
    if [[ "$before" != "$after" ]]; then
      log "the host changed while the cluster ran:"; diff <(echo "$before") <(echo "$after") >&2 || true; rc=1
    else
      log "host unchanged: $(echo "$before" | tr '\n' ';')"
    fi
  fi
  exit $rc
}
trap finish EXIT

t0=$(date +%s)
source "$(hack/cluster/images.sh | tail -n 1)"
log "images built and pushed in $(( $(date +%s) - t0 ))s"
t0=$(date +%s)
hack/cluster/flux.sh >/dev/null
log "Flux (source-controller, kustomize-controller) running in the cluster in $(( $(date +%s) - t0 ))s"

OCI_BIN="$(hack/provision-oci-tools.sh | tail -n 1)"
host_ref=$(PYMODE_ORAS="$OCI_BIN/oras" PYMODE_REGISTRY_PLAIN_HTTP=1 python3 builder-image/bundler/pymode_build.py runtime \
  --runtime-dir "$RUNTIME_DIR" --push "$PYMODE_CLUSTER_REGISTRY_HOST/pymode/runtime:current" \
  | tail -n 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["ref"])')
export PYMODE_CLUSTER_RUNTIME_REF="$PYMODE_CLUSTER_REGISTRY/${host_ref#*/}"
export PYMODE_OPERATOR_IMAGE PYMODE_BUILDER_IMAGE

mvn -B -pl delivery-tests verify -Dgroups=cluster -Dsurefire.excluded.groups= "$@"
