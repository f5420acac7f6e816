# Steps shared by the two demo modes (hack/demo.sh on the real cluster, hack/demo-lite.sh on an API server with
# local builds). Sourced from the repository root with ROOT set. Background processes go into `pids`.
STATE="$ROOT/.demo"
mkdir -p "$STATE"
pids=()
say() { printf '\n== %s\n' "$*"; }

# prepare_builds: python.wasm (a no-op when cached), the node packages of the bundler and the stand-in, the
# operator. Sets RUNTIME_DIR and OCI_BIN.
prepare_builds() {
  say "Building the python.wasm runtime (cached: a no-op when its inputs are unchanged)"
  builder-image/runtime/build.sh
  RUNTIME_DIR="${PYMODE_RUNTIME_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pymode/runtime/current}"
  OCI_BIN="$(hack/provision-oci-tools.sh | tail -n 1)"
  say "Installing the worker bundler's and the Cloudflare stand-in's dependencies"
  [[ -d worker/node_modules/esbuild ]] || (cd worker && npm ci --no-audit --no-fund)
  [[ -d cfstandin/node_modules/miniflare ]] || (cd cfstandin && npm ci --no-audit --no-fund)
  say "Building the operator"
  mvn -B -q install -DskipTests
}

# stop_started: stops the background processes this demo started, unless KEEP_RUNNING=1.
stop_started() {
  [[ "${KEEP_RUNNING:-0}" == 1 ]] && return 0
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}

# await_ready_line LOG PID WHAT SECONDS: waits for the process's "READY ..." line; prints it.
await_ready_line() {
  local log=$1 pid=$2 what=$3 seconds=$4
  for _ in $(seq 1 $((seconds * 2))); do
    grep -q '^READY ' "$log" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; echo "$what failed to start" >&2; exit 1; }
    sleep 0.5
  done
  grep '^READY ' "$log" || { echo "$what not ready after $seconds s" >&2; exit 1; }
}

# start_standin PORT ADDRESS: the local Cloudflare API stand-in on 127.0.0.1:PORT (it runs deployed workers in
# workerd). Sets CF_ACCOUNT, CF_TOKEN, CF_PORT; records its PID in `pids`.
start_standin() {
  CF_PORT="$1"
  CF_ACCOUNT=0123456789abcdef0123456789abcdef
  CF_TOKEN="demo-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
  node cfstandin/bin/cfstandin.mjs --port "$CF_PORT" --state-dir "$STATE/cloudflare" --account "$CF_ACCOUNT" \
    --token "$CF_TOKEN" --subdomain pymode-local > "$STATE/cfstandin.log" 2>&1 &
  pids+=($!)
  await_ready_line "$STATE/cfstandin.log" "${pids[-1]}" "the Cloudflare stand-in" 30
}

# publish_runtime REGISTRY RUNTIME_DIR: pushes the built python.wasm runtime; prints repo@sha256:... on stdout.
publish_runtime() {
  python3 builder-image/bundler/pymode_build.py runtime --runtime-dir "$2" --push "$1/pymode/runtime:current" \
    | tail -n 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["ref"])'
}

# call_workers KUBECTL: what the README promises, answered by the deployed workers through the stand-in.
call_workers() {
  local kubectl="$1"
  say "Calling the deployed workers"
  # The URLs are workers.dev names the stand-in serves by Host header; --connect-to points them at it.
  local hello_url api_url
  hello_url=$("$kubectl" get pymodeworker hello-worker -o jsonpath='{.status.deployment.url}')
  api_url=$("$kubectl" get pymodeworker api-worker -o jsonpath='{.status.deployment.url}')
  echo "hello-worker: $hello_url"
  echo "api-worker: $api_url"
  local curl=(curl -fsS --connect-to "::127.0.0.1:$CF_PORT")
  echo "\$ curl $hello_url"
  "${curl[@]}" "$hello_url"; echo
  echo "\$ curl -X PUT ${api_url}api/data -d '{\"answer\": 42}'; curl ${api_url}api/data; curl ${api_url}greet?name=Ada"
  "${curl[@]}" -X PUT "${api_url}api/data" -d '{"answer": 42}'; echo
  "${curl[@]}" "${api_url}api/data"; echo
  "${curl[@]}" "${api_url}greet?name=Ada"; echo
  local cf_url
  cf_url=$("$kubectl" get pymodeworker cloudflare-worker -o jsonpath='{.status.deployment.url}')
  echo "cloudflare-worker (written for Cloudflare's Python Workers API): $cf_url"
  echo "\$ curl -X POST ${cf_url}notes -d '{\"id\": \"n1\", \"text\": \"unmodified\"}'; curl ${cf_url}notes/n1; curl ${cf_url}visits"
  "${curl[@]}" -X POST "${cf_url}notes" -d '{"id": "n1", "text": "unmodified"}'; echo
  "${curl[@]}" "${cf_url}notes/n1"; echo
  "${curl[@]}" "${cf_url}visits"; echo
  local fastapi_url
  fastapi_url=$("$kubectl" get pymodeworker fastapi-worker -o jsonpath='{.status.deployment.url}')
  echo "fastapi-worker (an unmodified FastAPI app, pydantic-core from its PyModeExtension): $fastapi_url"
  echo "\$ curl -X PUT ${fastapi_url}notes/n1 -H 'content-type: application/json' -d '{\"title\": \"edge\"}'; curl ${fastapi_url}notes/n1"
  "${curl[@]}" -X PUT "${fastapi_url}notes/n1" -H 'content-type: application/json' -d '{"title": "edge"}'; echo
  "${curl[@]}" "${fastapi_url}notes/n1"; echo
  echo "\$ curl -X PUT ${fastapi_url}notes/n2 -H 'content-type: application/json' -d '{\"title\": \"\"}'   # pydantic says why: 422"
  # -f would stop at the 422 this call is meant to show
  curl -sS --connect-to "::127.0.0.1:$CF_PORT" -w ' (%{http_code})' -X PUT "${fastapi_url}notes/n2" \
    -H 'content-type: application/json' -d '{"title": ""}'; echo
  echo "OpenAPI: ${fastapi_url}openapi.json, docs: ${fastapi_url}docs"
  "${curl[@]}" -o /dev/null "${fastapi_url}openapi.json"
}

# show_status KUBECTL: the resources and their conditions.
show_status() {
  local kubectl="$1"
  say "Status"
  "$kubectl" get pymodeworkers,pymodeextensions,pymodeworkflows -o wide
  for w in $("$kubectl" get pymodeworkers -o name); do
    echo "--- $w"
    "$kubectl" get "$w" -o jsonpath='{range .status.conditions[*]}{.type}={.status} {.reason}: {.message}{"\n"}{end}'
  done
}
