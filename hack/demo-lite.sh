#!/usr/bin/env bash
# The lightweight demo (`make demo-lite`), for machines where a node cannot run (no root, no network namespaces):
# no cluster and no Cloudflare account needed. Builds python.wasm and the operator, starts a real kube-apiserver +
# etcd, an OCI registry and the local Cloudflare API stand-in on loopback, installs the CRDs, publishes the runtime,
# applies examples/, runs the operator as a local process (builds as local processes too), waits for Ready and
# calls the deployed workers. `make demo` does the same on a real single-node cluster (hack/demo.sh).
# KEEP_RUNNING=1 leaves everything up.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
source hack/lib/demo.sh

say "Provisioning etcd, kube-apiserver and kubectl (cached after the first run)"
KUBE_API_TEST_DIR="$(hack/provision-kube-api-test.sh | tail -n 1)"
export KUBE_API_TEST_DIR
KUBECTL="$KUBE_API_TEST_DIR/k8s/1.34.2-linux-amd64/kubectl"

prepare_builds
trap stop_started EXIT

say "Starting the local API server and OCI registry"
rm -rf "$STATE/kubeconfig" "$STATE/builds"
java -cp "devenv/target/pymode-devenv-0.1.0-SNAPSHOT.jar:devenv/target/lib/*" dev.pymode.devenv.Main \
  "$STATE" crds > "$STATE/environment.log" 2>&1 &
pids+=($!)
ready_line=$(await_ready_line "$STATE/environment.log" "${pids[-1]}" "the local environment" 60)
REGISTRY="${ready_line##*registry=}"
export KUBECONFIG="$STATE/kubeconfig"
echo "API server: $(grep -m1 server: "$KUBECONFIG" | awk '{print $2}'), registry: $REGISTRY"

say "Starting the local Cloudflare API stand-in (runs deployed workers in workerd)"
start_standin "${PYMODE_CF_PORT:-8799}"

say "Publishing the runtime artifact"
export PYMODE_ORAS="$OCI_BIN/oras" PYMODE_REGISTRY_PLAIN_HTTP=1
RUNTIME_REF=$(publish_runtime "$REGISTRY" "$RUNTIME_DIR")
echo "runtime: $RUNTIME_REF"

say "Applying examples/"
"$KUBECTL" apply -k examples/

say "Starting the operator (log: .demo/operator.log)"
PYMODE_HTTP_PORT="${PYMODE_HTTP_PORT:-8080}" \
PYMODE_REGISTRY_HOST="$REGISTRY" PYMODE_REGISTRY_PLAIN_HTTP=true PYMODE_RUNTIME_REF="$RUNTIME_REF" \
PYMODE_BUILDER_MODE=local PYMODE_BUILDER_LOCAL_WORK_DIR="$STATE/builds" PYMODE_BUILDER_ORAS="$PYMODE_ORAS" \
PYMODE_REPO_ROOT="$ROOT" \
PYMODE_CLOUDFLARE_API_URL="http://127.0.0.1:$CF_PORT/client/v4" PYMODE_CLOUDFLARE_ACCOUNT_ID="$CF_ACCOUNT" \
PYMODE_CLOUDFLARE_API_TOKEN="$CF_TOKEN" \
PYMODE_CLOUDFLARE_WORKERS_DEV_URL="http://{script}.{subdomain}.workers.dev:$CF_PORT/" \
PYMODE_CLOUDFLARE_EDGE_ADDRESS="127.0.0.1:$CF_PORT" \
  java -jar operator/target/quarkus-app/quarkus-run.jar > "$STATE/operator.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:${PYMODE_HTTP_PORT:-8080}/q/health/ready" >/dev/null 2>&1 && break
  kill -0 "${pids[-1]}" 2>/dev/null || { tail -50 "$STATE/operator.log"; echo "operator exited" >&2; exit 1; }
  sleep 0.5
done
curl -fsS "http://127.0.0.1:${PYMODE_HTTP_PORT:-8080}/q/health/ready"; echo

say "Waiting for the workers to be built and deployed (builder logs: .demo/builds/default/*/log)"
# fastapi-worker waits for its pydantic-core extension: a Rust build of about 5 minutes on 2 cores the first time
"$KUBECTL" wait pymodeworkers --all --for=condition=Ready --timeout=1200s
# Workflows are Ready once their worker is and their schedule is deployed as its cron trigger.
"$KUBECTL" wait pymodeworkflows --all --for=condition=Ready --timeout=120s

show_status "$KUBECTL"
call_workers "$KUBECTL"

if [[ "${KEEP_RUNNING:-0}" == 1 ]]; then
  say "Left running: export KUBECONFIG=$STATE/kubeconfig; stop with: kill ${pids[*]}"
fi
