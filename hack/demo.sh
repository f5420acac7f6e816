#!/usr/bin/env bash
# The embedded default: no cluster and no Cloudflare account needed.
# Builds the operator, starts a real kube-apiserver + etcd on loopback, installs the CRDs, applies examples/,
# runs the operator against it and shows the resources' status.  KEEP_RUNNING=1 leaves everything up.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
STATE="$ROOT/.demo"
mkdir -p "$STATE"
say() { printf '\n== %s\n' "$*"; }

say "Provisioning etcd, kube-apiserver and kubectl (cached after the first run)"
KUBE_API_TEST_DIR="$(hack/provision-kube-api-test.sh | tail -n 1)"
export KUBE_API_TEST_DIR
KUBECTL="$KUBE_API_TEST_DIR/k8s/1.34.2-linux-amd64/kubectl"

say "Building the operator"
mvn -B -q install -DskipTests

pids=()
cleanup() {
  if [[ "${KEEP_RUNNING:-0}" != 1 ]]; then
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
  fi
}
trap cleanup EXIT

say "Starting the local API server"
rm -f "$STATE/kubeconfig"
java -cp "devenv/target/pymode-devenv-0.1.0-SNAPSHOT.jar:devenv/target/lib/*" dev.pymode.devenv.Main \
  "$STATE/kubeconfig" crds > "$STATE/apiserver.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 120); do
  grep -q '^READY ' "$STATE/apiserver.log" 2>/dev/null && break
  kill -0 "${pids[0]}" 2>/dev/null || { cat "$STATE/apiserver.log"; echo "API server failed to start" >&2; exit 1; }
  sleep 0.5
done
grep -q '^READY ' "$STATE/apiserver.log" || { echo "API server not ready after 60 s" >&2; exit 1; }
export KUBECONFIG="$STATE/kubeconfig"
"$KUBECTL" get crds -o name

say "Applying examples/"
"$KUBECTL" apply -k examples/

say "Starting the operator (log: .demo/operator.log)"
PYMODE_HTTP_PORT="${PYMODE_HTTP_PORT:-8080}" java -jar operator/target/quarkus-app/quarkus-run.jar \
  > "$STATE/operator.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:${PYMODE_HTTP_PORT:-8080}/q/health/ready" >/dev/null 2>&1 && break
  kill -0 "${pids[1]}" 2>/dev/null || { tail -50 "$STATE/operator.log"; echo "operator exited" >&2; exit 1; }
  sleep 0.5
done
curl -fsS "http://127.0.0.1:${PYMODE_HTTP_PORT:-8080}/q/health/ready"; echo

say "Waiting for the workers to be reconciled"
"$KUBECTL" wait pymodeworkers --all --for=jsonpath='{.status.observedGeneration}'=1 --timeout=60s

say "Status"
"$KUBECTL" get pymodeworkers,pymodeextensions,pymodeworkflows -o wide
for w in $("$KUBECTL" get pymodeworkers -o name); do
  echo "--- $w"
  "$KUBECTL" get "$w" -o jsonpath='{range .status.conditions[*]}{.type}={.status} {.reason}: {.message}{"\n"}{end}'
done

if [[ "${KEEP_RUNNING:-0}" == 1 ]]; then
  say "Left running: export KUBECONFIG=$STATE/kubeconfig; stop with: kill ${pids[*]}"
fi
