#!/usr/bin/env bash
# The embedded default (`make demo`): the operator where its users run it, on a real single-node Kubernetes
# cluster on this machine (hack/cluster: kubelet, containerd, runc, CNI, kube-proxy, CoreDNS in their own network
# namespace), installed with Helm from images built here without a Docker engine; the examples are built in
# builder Jobs and deployed to the local Cloudflare API stand-in, then called. No Cloudflare account needed.
# Where a node cannot run (not root, no network namespaces, no /dev/net/tun), it says why and runs
# hack/demo-lite.sh instead (API server only, builds as local processes); `make demo-lite` runs that directly.
# KEEP_RUNNING=1 leaves everything up.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
source hack/lib/demo.sh

why_no_node() {
  [[ $(id -u) == 0 ]] || { echo "not root (the node's network namespace and containerd need root)"; return; }
  [[ -c /dev/net/tun ]] || { echo "no /dev/net/tun (slirp4netns gives the node its egress through it)"; return; }
  ip netns list >/dev/null 2>&1 || { echo "ip netns does not work here"; return; }
  [[ -d /sys/fs/cgroup/memory || -f /sys/fs/cgroup/cgroup.controllers ]] || { echo "no memory cgroup controller"; return; }
  command -v apt-get >/dev/null || { echo "no apt-get (the node's containerd, runc and CNI come from Debian)"; return; }
}
reason=$(why_no_node)
if [[ -n "$reason" ]]; then
  say "Mode: lite (API server only, local builds), because a node cannot run here: $reason"
  exec hack/demo-lite.sh
fi
say "Mode: a real single-node cluster (hack/cluster); \`make demo-lite\` runs without one"

say "Provisioning the cluster's parts (cached after the first run)"
hack/cluster/provision.sh >/dev/null
prepare_builds
cleanup() {
  stop_started
  [[ "${KEEP_RUNNING:-0}" == 1 ]] || hack/cluster/down.sh || true
}
trap cleanup EXIT

say "Starting the cluster"
t0=$(date +%s)
source "$(hack/cluster/up.sh | tail -n 1)"
echo "cluster up in $(( $(date +%s) - t0 ))s (KUBECONFIG=$KUBECONFIG)"
KUBECTL="$PYMODE_CLUSTER_BIN/kubectl"
HELM="$PYMODE_CLUSTER_BIN/helm"

say "Building the operator and builder images (buildah, no Docker engine) into the cluster's registry"
t0=$(date +%s)
source "$(hack/cluster/images.sh | tail -n 1)"
echo "operator: $PYMODE_OPERATOR_IMAGE"
echo "builder:  $PYMODE_BUILDER_IMAGE"
echo "images in $(( $(date +%s) - t0 ))s"

say "Starting the local Cloudflare API stand-in on the host (pods reach it as $PYMODE_CLUSTER_HOST_ADDRESS)"
start_standin "${PYMODE_CF_PORT:-8799}"

say "Publishing the runtime artifact"
export PYMODE_ORAS="$OCI_BIN/oras" PYMODE_REGISTRY_PLAIN_HTTP=1
host_ref=$(publish_runtime "$PYMODE_CLUSTER_REGISTRY_HOST" "$RUNTIME_DIR")
RUNTIME_REF="$PYMODE_CLUSTER_REGISTRY/${host_ref#*/}"
echo "runtime: $RUNTIME_REF"

say "helm install pymode-operator"
"$KUBECTL" create namespace pymode-system --dry-run=client -o yaml | "$KUBECTL" apply -f - >/dev/null
"$KUBECTL" -n pymode-system create secret generic cloudflare-api --from-literal=apiToken="$CF_TOKEN" \
  --dry-run=client -o yaml | "$KUBECTL" apply -f - >/dev/null
edge="$PYMODE_CLUSTER_HOST_ADDRESS:$CF_PORT"
# Builder pods download packages, recipe sources and crates (fastapi-worker's pydantic-core) through this machine's
# egress; where a TLS-inspecting proxy signs it, they must trust what the host trusts: its CA bundle as the chart's
# builder.caBundle (read at run time, never baked into an image).
"$KUBECTL" -n pymode-system create configmap builder-ca --from-file=ca-bundle.crt=/etc/ssl/certs/ca-certificates.crt \
  --dry-run=client -o yaml | "$KUBECTL" apply -f - >/dev/null
cat > "$STATE/values.yaml" <<EOF
# What make demo gives the chart: where the images, the registry and the (stand-in) Cloudflare API are.
image:
  repository: ${PYMODE_OPERATOR_IMAGE%@*}
  digest: ${PYMODE_OPERATOR_IMAGE#*@}
registry:
  host: $PYMODE_CLUSTER_REGISTRY
  plainHttp: true
runtime:
  ref: $RUNTIME_REF
builder:
  image: $PYMODE_BUILDER_IMAGE
  caBundle: {configMap: builder-ca}
cloudflare:
  accountId: $CF_ACCOUNT
  credentialsSecret: {name: cloudflare-api, key: apiToken}
extraEnv:
  - {name: PYMODE_CLOUDFLARE_API_URL, value: "http://$edge/client/v4"}
  - {name: PYMODE_CLOUDFLARE_WORKERS_DEV_URL, value: "http://{script}.{subdomain}.workers.dev:$CF_PORT/"}
  - {name: PYMODE_CLOUDFLARE_EDGE_ADDRESS, value: "$edge"}
EOF
t0=$(date +%s)
"$HELM" upgrade --install pymode charts/pymode-operator --namespace pymode-system -f "$STATE/values.yaml" \
  --wait --timeout 5m
echo "operator Ready in $(( $(date +%s) - t0 ))s"

say "Applying examples/"
"$KUBECTL" apply -k examples/

say "Waiting for the workers to be built (builder Jobs) and deployed"
# fastapi-worker waits for its pydantic-core extension: a Rust build of about 5 minutes on 2 cores the first time
"$KUBECTL" wait pymodeworkers --all --for=condition=Ready --timeout=1200s
"$KUBECTL" wait pymodeworkflows --all --for=condition=Ready --timeout=120s
"$KUBECTL" get jobs,pods -o wide

show_status "$KUBECTL"
call_workers "$KUBECTL"

if [[ "${KEEP_RUNNING:-0}" == 1 ]]; then
  say "Left running: source .cluster/cluster.env; stop with: kill ${pids[*]}; hack/cluster/down.sh"
fi
