#!/usr/bin/env bash
# Brings up a real single-node Kubernetes cluster that never changes the host:
#   - every cluster process (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, containerd, kubelet,
#     kube-proxy) runs in the network namespace pymode-node, whose only link out is slirp4netns (user-mode
#     networking): forwarding, iptables rules and the pod bridge exist only inside that namespace;
#   - the host's loopback appears inside as 10.0.2.2, so pods reach the OCI registry this script starts on
#     127.0.0.1:$REGISTRY_PORT (and anything else the caller runs on loopback) as 10.0.2.2:<port>;
#   - the API server is forwarded to 127.0.0.1:$API_PORT on the host;
#   - the kubelet is built never to write host sysctls (hack/lib/kubernetes.sh) and uses the cgroupfs driver.
# Every PID is recorded in $STATE/pids; hack/cluster/down.sh stops exactly those and unmounts what the kubelet
# mounted. Idempotent: a running cluster is left as it is, and a part that stopped is started again.
# Writes $STATE/cluster.env (KUBECONFIG, registry addresses) and prints its path on the last line.
#
#   PYMODE_CLUSTER_DIR       state directory (default: <repo>/.cluster)
#   PYMODE_CLUSTER_API_PORT  host port of the API server (default 16443)
#   PYMODE_CLUSTER_REGISTRY_PORT  host port of the registry (default 15000)
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/../.."
ROOT=$PWD
source hack/cluster/versions.sh
source hack/cluster/lib/images.sh
log() { echo "[cluster/up] $*" >&2; }

STATE="${PYMODE_CLUSTER_DIR:-$ROOT/.cluster}"
API_PORT="${PYMODE_CLUSTER_API_PORT:-16443}"
REGISTRY_PORT="${PYMODE_CLUSTER_REGISTRY_PORT:-15000}"
NODE=pymode-node
NETNS=/run/netns/$NODE
NODE_IP=10.0.2.100      # slirp4netns's address for the namespace
HOST_IP=10.0.2.2        # the host's loopback as seen from inside
SLIRP_DNS=10.0.2.3      # slirp4netns's DNS forwarder (the host's resolver)
POD_CIDR=10.88.0.0/16
SERVICE_CIDR=10.96.0.0/24
DNS_IP=10.96.0.10
PKI=$STATE/pki; PIDS=$STATE/pids; LOGS=$STATE/logs

start=$(date +%s)
BIN="$(hack/cluster/provision.sh | tail -n 1)"
OCI_BIN="$(hack/provision-oci-tools.sh | tail -n 1)"
export PATH="$BIN:$PATH"
mkdir -p "$STATE" "$PIDS" "$LOGS"
STATE="$(cd "$STATE" && pwd)"

running() { [[ -f "$PIDS/$1.pid" ]] && kill -0 "$(cat "$PIDS/$1.pid")" 2>/dev/null; }
# bg NAME CMD...: starts CMD in the background, logs to $LOGS/NAME.log, records its PID. nsenter (not
# `ip netns exec`, which remounts /sys and hides the cgroup mounts) execs the command, so $! is its PID.
bg() { local name=$1; shift; running "$name" && return 0; nohup "$@" > "$LOGS/$name.log" 2>&1 & echo $! > "$PIDS/$name.pid"; }
INSIDE=(nsenter --net="$NETNS")
inside() { "${INSIDE[@]}" "$@"; }
wait_for() { # description seconds command...
  local what=$1 seconds=$2; shift 2
  for _ in $(seq 1 $((seconds * 4))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.25; done
  log "timed out after ${seconds}s waiting for $what; logs in $LOGS"; exit 1
}

# Every recorded process alive and the API server ready: nothing to do. Otherwise the steps below start what is not
# running (bg skips what is) and re-apply what is idempotent, so a stopped part (the registry, the API server; the
# cluster tier's fault tests stop them) comes back as it was.
all_running() {
  local c
  for c in registry slirp etcd kube-apiserver kcm scheduler containerd kubelet kube-proxy; do running "$c" || return 1; done
}
if all_running && KUBECONFIG=$PKI/admin.kubeconfig kubectl get --raw /readyz >/dev/null 2>&1; then
  log "already running ($STATE)"
  echo "$STATE/cluster.env"
  exit 0
fi

# --- PKI (once per state directory) ---
sign() { # name CN O [subjectAltNames]
  local n=$1 cn=$2 o=$3 sans=${4:-}
  openssl req -newkey rsa:2048 -nodes -keyout "$PKI/$n.key" -out "$PKI/$n.csr" -subj "/CN=$cn${o:+/O=$o}" 2>/dev/null
  { echo "basicConstraints=CA:FALSE"; echo "keyUsage=digitalSignature,keyEncipherment"
    if [[ -n $sans ]]; then echo "extendedKeyUsage=serverAuth,clientAuth"; echo "subjectAltName=$sans"
    else echo "extendedKeyUsage=clientAuth"; fi; } > "$PKI/$n.ext"
  openssl x509 -req -in "$PKI/$n.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial -out "$PKI/$n.crt" \
    -days 365 -extfile "$PKI/$n.ext" 2>/dev/null
}
kubeconfig() { # name user server
  cat > "$PKI/$1.kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: pymode
  cluster: {server: "$3", certificate-authority: $PKI/ca.crt}
users:
- name: $2
  user: {client-certificate: $PKI/$2.crt, client-key: $PKI/$2.key}
contexts:
- name: pymode
  context: {cluster: pymode, user: $2}
current-context: pymode
KC
}
if [[ ! -f "$PKI/ca.crt" ]]; then
  log "generating the cluster's certificates"
  mkdir -p "$PKI"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$PKI/ca.key" -out "$PKI/ca.crt" -days 365 -subj "/CN=pymode-cluster-ca" 2>/dev/null
  openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null
  openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  sign apiserver kube-apiserver "" "DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:127.0.0.1,IP:10.96.0.1,IP:$NODE_IP"
  sign admin admin system:masters
  sign kcm system:kube-controller-manager ""
  sign scheduler system:kube-scheduler ""
  sign kubelet "system:node:$NODE" system:nodes
  sign kube-proxy system:kube-proxy ""
  sign apiserver-kubelet kube-apiserver-kubelet-client system:masters
  sign kubelet-serving "$NODE" "" "DNS:$NODE,DNS:localhost,IP:127.0.0.1,IP:$NODE_IP"
fi
inside_api="https://$NODE_IP:6443"
kubeconfig admin admin "https://127.0.0.1:$API_PORT"
for c in kcm scheduler kubelet kube-proxy; do kubeconfig "$c" "$c" "$inside_api"; done
export KUBECONFIG=$PKI/admin.kubeconfig

# --- configuration files ---
mkdir -p "$STATE/etcd" "$STATE/containerd/certs.d/$HOST_IP:$REGISTRY_PORT" "$STATE/cni/net.d" "$STATE/kubelet/root" \
  "$STATE/kubelet/pods-logs" "$STATE/registry"
cat > "$STATE/containerd/config.toml" <<EOF
version = 2
root = "$STATE/containerd/root"
state = "$STATE/containerd/state"
[grpc]
  address = "$STATE/containerd/containerd.sock"
[ttrpc]
  address = "$STATE/containerd/containerd.sock.ttrpc"
[debug]
  address = "$STATE/containerd/debug.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$HOST_IP:$REGISTRY_PORT/pymode/pause:$PAUSE_TAG"
  # Required here: without it every sandbox fails "can't get final child's PID from pipe" (no CAP_SYS_RESOURCE).
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$STATE/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$STATE/containerd/certs.d"
EOF
cat > "$STATE/containerd/certs.d/$HOST_IP:$REGISTRY_PORT/hosts.toml" <<EOF
server = "http://$HOST_IP:$REGISTRY_PORT"
[host."http://$HOST_IP:$REGISTRY_PORT"]
  capabilities = ["pull", "resolve"]
EOF
cat > "$STATE/cni/net.d/10-pymode.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "pymode",
  "plugins": [
    {"type": "bridge", "bridge": "pymode0", "isGateway": true, "ipMasq": true, "hairpinMode": true,
     "ipam": {"type": "host-local", "ranges": [[{"subnet": "$POD_CIDR"}]], "routes": [{"dst": "0.0.0.0/0"}],
              "dataDir": "$STATE/cni/ipam"}},
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF
echo "nameserver $SLIRP_DNS" > "$STATE/resolv.conf"
cat > "$STATE/kubelet/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
healthzBindAddress: 127.0.0.1
readOnlyPort: 0
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization: {mode: Webhook}
tlsCertFile: $PKI/kubelet-serving.crt
tlsPrivateKeyFile: $PKI/kubelet-serving.key
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
containerRuntimeEndpoint: unix://$STATE/containerd/containerd.sock
podLogsDir: $STATE/kubelet/pods-logs
clusterDNS: [$DNS_IP]
clusterDomain: cluster.local
resolvConf: $STATE/resolv.conf
maxPods: 40
serializeImagePulls: false
imageGCHighThresholdPercent: 95
evictionHard: {"memory.available": "100Mi", "nodefs.available": "2%", "imagefs.available": "2%"}
EOF
cat > "$STATE/registry/config.yml" <<EOF
version: 0.1
log: {level: warn}
storage:
  filesystem: {rootdirectory: $STATE/registry/data}
  delete: {enabled: true}
http: {addr: 127.0.0.1:$REGISTRY_PORT}
EOF

# --- the OCI registry on the host's loopback, and the images every pod needs ---
bg registry "$OCI_BIN/registry" serve "$STATE/registry/config.yml"
wait_for "the registry on 127.0.0.1:$REGISTRY_PORT" 20 curl -fsS "http://127.0.0.1:$REGISTRY_PORT/v2/"
static_image "$BIN/pause" "127.0.0.1:$REGISTRY_PORT/pymode/pause:$PAUSE_TAG" >/dev/null
coredns_ref=$(static_image "$BIN/coredns" "127.0.0.1:$REGISTRY_PORT/pymode/coredns:$COREDNS_VERSION")
coredns_ref="$HOST_IP:$REGISTRY_PORT/${coredns_ref#*/}"

# --- the node's network namespace, with user-mode egress ---
if [[ ! -e "$NETNS" ]]; then
  ip netns add "$NODE"
fi
inside ip link set lo up
bg slirp slirp4netns --configure --mtu=65520 --api-socket "$STATE/slirp.sock" --netns-type=path "$NETNS" tap0
wait_for "slirp4netns" 10 test -S "$STATE/slirp.sock"
wait_for "the namespace's address" 10 bash -c "nsenter --net=$NETNS ip -4 addr show tap0 | grep -q $NODE_IP"
python3 - "$STATE/slirp.sock" "$API_PORT" "$NODE_IP" <<'PY'
import json, socket, sys
sock, host_port, guest = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def call(request):  # slirp4netns answers one request per connection
    s = socket.socket(socket.AF_UNIX); s.connect(sock)
    s.send(json.dumps(request).encode())
    return json.loads(s.recv(65536))
# A second up.sh (restarting a stopped part) finds the forward in place: slirp4netns refuses to add it twice.
listing = call({"execute": "list_hostfwd"})
entries = listing.get("return", listing).get("entries", [])
if not any(e.get("host_port") == host_port and e.get("guest_port") == 6443 for e in entries):
    answer = call({"execute": "add_hostfwd", "arguments": {"proto": "tcp", "host_addr": "127.0.0.1",
        "host_port": host_port, "guest_addr": guest, "guest_port": 6443}})
    if "error" in answer:
        sys.exit(f"slirp4netns add_hostfwd: {answer}")
PY

# --- control plane, inside the namespace ---
bg etcd "${INSIDE[@]}" nice -n 5 "$BIN/etcd" --data-dir "$STATE/etcd" --listen-client-urls http://127.0.0.1:2379 \
  --advertise-client-urls http://127.0.0.1:2379 --listen-peer-urls http://127.0.0.1:2380 \
  --initial-advertise-peer-urls http://127.0.0.1:2380 --initial-cluster default=http://127.0.0.1:2380 \
  --listen-metrics-urls http://127.0.0.1:2381 --unsafe-no-fsync --quota-backend-bytes 2147483648
bg kube-apiserver "${INSIDE[@]}" "$BIN/kube-apiserver" --etcd-servers=http://127.0.0.1:2379 --bind-address=0.0.0.0 \
  --secure-port=6443 --advertise-address=$NODE_IP --service-cluster-ip-range=$SERVICE_CIDR \
  --client-ca-file="$PKI/ca.crt" --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
  --service-account-issuer=https://kubernetes.default.svc --service-account-key-file="$PKI/sa.pub" \
  --service-account-signing-key-file="$PKI/sa.key" --authorization-mode=Node,RBAC \
  --kubelet-client-certificate="$PKI/apiserver-kubelet.crt" --kubelet-client-key="$PKI/apiserver-kubelet.key" \
  --kubelet-certificate-authority="$PKI/ca.crt" --kubelet-preferred-address-types=InternalIP \
  --profiling=false
wait_for "the API server" 90 kubectl get --raw /readyz
bg kcm "${INSIDE[@]}" "$BIN/kube-controller-manager" --kubeconfig="$PKI/kcm.kubeconfig" \
  --authentication-kubeconfig="$PKI/kcm.kubeconfig" --authorization-kubeconfig="$PKI/kcm.kubeconfig" \
  --bind-address=127.0.0.1 --leader-elect=false --use-service-account-credentials=true \
  --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" \
  --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key" \
  --service-cluster-ip-range=$SERVICE_CIDR --profiling=false
bg scheduler "${INSIDE[@]}" "$BIN/kube-scheduler" --kubeconfig="$PKI/scheduler.kubeconfig" \
  --authentication-kubeconfig="$PKI/scheduler.kubeconfig" --authorization-kubeconfig="$PKI/scheduler.kubeconfig" \
  --bind-address=127.0.0.1 --leader-elect=false --profiling=false

# --- the node ---
bg containerd "${INSIDE[@]}" containerd --config "$STATE/containerd/config.toml"
wait_for "containerd" 30 test -S "$STATE/containerd/containerd.sock"
bg kubelet "${INSIDE[@]}" "$BIN/kubelet" --config="$STATE/kubelet/config.yaml" --kubeconfig="$PKI/kubelet.kubeconfig" \
  --root-dir="$STATE/kubelet/root" --cert-dir="$STATE/kubelet/pki" --hostname-override=$NODE --node-ip=$NODE_IP
# conntrack limits 0: kube-proxy leaves the (host-wide) conntrack sysctls alone.
bg kube-proxy "${INSIDE[@]}" "$BIN/kube-proxy" --kubeconfig="$PKI/kube-proxy.kubeconfig" --hostname-override=$NODE \
  --proxy-mode=iptables --cluster-cidr=$POD_CIDR --conntrack-max-per-core=0 \
  --conntrack-tcp-timeout-established=0 --conntrack-tcp-timeout-close-wait=0 \
  --metrics-bind-address=127.0.0.1:10249 --healthz-bind-address=127.0.0.1:10256
wait_for "node $NODE to be Ready" 120 kubectl wait --for=condition=Ready "node/$NODE" --timeout=2s

# --- cluster DNS ---
sed -e "s#@IMAGE@#$coredns_ref#" -e "s#@DNS_IP@#$DNS_IP#" hack/cluster/coredns.yaml | kubectl apply -f - >/dev/null
wait_for "CoreDNS" 120 kubectl -n kube-system wait --for=condition=Available deployment/coredns --timeout=2s

cat > "$STATE/cluster.env" <<EOF
# Written by hack/cluster/up.sh: source it to use the cluster.
export KUBECONFIG=$PKI/admin.kubeconfig
# The registry as the host reaches it, and as pods, containerd and the kubelet reach it.
export PYMODE_CLUSTER_REGISTRY_HOST=127.0.0.1:$REGISTRY_PORT
export PYMODE_CLUSTER_REGISTRY=$HOST_IP:$REGISTRY_PORT
# The host's loopback as seen from pods (services the host runs on 127.0.0.1 are reached there).
export PYMODE_CLUSTER_HOST_ADDRESS=$HOST_IP
export PYMODE_CLUSTER_BIN=$BIN
export PYMODE_CLUSTER_DIR=$STATE
EOF
log "up in $(( $(date +%s) - start ))s: source $STATE/cluster.env"
echo "$STATE/cluster.env"
