#!/usr/bin/env bash
# Installs Flux's source-controller and kustomize-controller into the running single-node cluster
# (hack/cluster/up.sh), the way users run them: their CRDs, then hack/cluster/flux/flux.yaml (namespace flux-system,
# RBAC, two hardened Deployments, the artifact Service) with the Flux image hack/cluster/images.sh builds from the
# controllers built here from their Go sources (hack/lib/flux.sh, cached). Waits until both Deployments are Available. Idempotent.
# Prints the path of images.env (PYMODE_FLUX_IMAGE) on its last line.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/../.."
ROOT=$PWD
log() { echo "[cluster/flux] $*" >&2; }
STATE="${PYMODE_CLUSTER_DIR:-$ROOT/.cluster}"
[[ -f "$STATE/cluster.env" ]] || { log "no cluster at $STATE: run hack/cluster/up.sh first"; exit 1; }
source "$STATE/cluster.env"
source hack/cluster/versions.sh
source hack/lib/flux.sh
kubectl() { "$PYMODE_CLUSTER_BIN/kubectl" "$@"; }
start=$(date +%s)

# Built once into the cache (a few minutes each, cold); `make demo` never needs them, so they are not part of
# hack/cluster/provision.sh.
if [[ ! -x "$(flux_dir)/bin/source-controller" ]]; then
  log "building Flux source-controller $FLUX_SOURCE_CONTROLLER_VERSION from its Go sources (once)"
  flux_build source-controller "$FLUX_SOURCE_CONTROLLER_VERSION" "${FLUX_SOURCE_CONTROLLER_PINS[@]}" >&2
fi
if [[ ! -x "$(flux_dir)/bin/kustomize-controller" ]]; then
  log "building Flux kustomize-controller $FLUX_KUSTOMIZE_CONTROLLER_VERSION from its Go sources (once)"
  flux_build kustomize-controller "$FLUX_KUSTOMIZE_CONTROLLER_VERSION" >&2
fi
source "$(hack/cluster/images.sh flux | tail -n 1)"
kubectl apply --server-side --force-conflicts -f "$(flux_dir)/crds" >/dev/null
kubectl wait --for=condition=Established --timeout=60s -f "$(flux_dir)/crds" >/dev/null
# The image reference is the only value filled in (a digest reference: no shell or YAML metacharacters).
sed "s#\${FLUX_IMAGE}#$PYMODE_FLUX_IMAGE#" hack/cluster/flux/flux.yaml | kubectl apply -f - >/dev/null
for d in source-controller kustomize-controller; do
  kubectl -n flux-system rollout status "deployment/$d" --timeout=180s >&2
done
log "source-controller $FLUX_SOURCE_CONTROLLER_VERSION and kustomize-controller $FLUX_KUSTOMIZE_CONTROLLER_VERSION ready in $(( $(date +%s) - start ))s"
echo "$STATE/images.env"
