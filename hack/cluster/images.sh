#!/usr/bin/env bash
# Builds the project's images without a Docker engine and pushes them by digest to the cluster's registry:
#   - a Debian bookworm base (mmdebstrap, minbase; cached) standing in for debian:bookworm-slim;
#   - the operator image (operator/src/main/docker/Dockerfile, on the Quarkus build in operator/target/quarkus-app);
#   - the builder image (builder-image/Dockerfile);
#   - on request, the Flux image (hack/cluster/flux/Dockerfile: source- and kustomize-controller, for the GitOps tier).
# Both Dockerfiles are built with `buildah bud` (chroot isolation, the host's network); they build the same with
# `docker build`. The egress proxy's CA reaches the steps that download as a build-time mount, never a layer.
# Needs a running cluster (hack/cluster/up.sh) for the registry. Writes $PYMODE_CLUSTER_DIR/images.env
# (PYMODE_OPERATOR_IMAGE, PYMODE_BUILDER_IMAGE, PYMODE_FLUX_IMAGE: in-cluster references by digest) and prints its path.
#   images.sh [operator|builder|flux]...   (default: operator and builder)
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/../.."
ROOT=$PWD
log() { echo "[cluster/images] $*" >&2; }
STATE="${PYMODE_CLUSTER_DIR:-$ROOT/.cluster}"
[[ -f "$STATE/cluster.env" ]] || { log "no cluster at $STATE: run hack/cluster/up.sh first"; exit 1; }
source "$STATE/cluster.env"
source hack/cluster/lib/images.sh
source hack/cluster/versions.sh
source hack/lib/flux.sh
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/pymode/cluster"
BUILDAH=(buildah --root "$CACHE/buildah/storage" --runroot "$CACHE/buildah/run" --storage-driver overlay)
targets=("$@"); (( ${#targets[@]} )) || targets=(operator builder)

# --- the base: Debian bookworm minbase, as a local image named like the Dockerfiles' default BASE ---
BASE=localhost/pymode/debian:bookworm-slim
if ! "${BUILDAH[@]}" inspect --type image "$BASE" >/dev/null 2>&1; then
  rootfs="$CACHE/debian-bookworm-minbase.tar"
  if [[ ! -f "$rootfs" ]]; then
    log "creating the Debian bookworm base with mmdebstrap (once, about a minute)"
    mirror=$(sed -nE 's/^URIs: (http[^ ]*debian)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
    SOURCE_DATE_EPOCH=0 mmdebstrap --quiet --variant=minbase --include=ca-certificates \
      --aptopt='APT::Install-Recommends "false"' bookworm "$rootfs.tmp" "${mirror:-http://deb.debian.org/debian}"
    mv "$rootfs.tmp" "$rootfs"
  fi
  c=$("${BUILDAH[@]}" from scratch)
  "${BUILDAH[@]}" add --quiet "$c" "$rootfs" /
  "${BUILDAH[@]}" config --cmd /bin/bash --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$c"
  "${BUILDAH[@]}" commit --quiet --timestamp 0 "$c" "$BASE" >/dev/null
  "${BUILDAH[@]}" rm "$c" >/dev/null
fi

# The host's CA bundle (it holds the egress proxy's CA) for the steps that download.
ca_mount=()
if [[ -f /etc/ssl/certs/ca-certificates.crt ]]; then
  ca_mount=(--volume /etc/ssl/certs/ca-certificates.crt:/run/build-ca.crt:ro --build-arg BUILD_CA_BUNDLE=/run/build-ca.crt)
fi

build() { # name dockerfile [context]
  local name=$1 dockerfile=$2 context=${3:-.} t0 ref
  t0=$(date +%s)
  log "building $name ($dockerfile)"
  "${BUILDAH[@]}" bud --quiet --layers --pull=never --isolation=chroot --network=host --timestamp 0 \
    --build-arg "BASE=$BASE" "${ca_mount[@]}" -f "$dockerfile" -t "localhost/pymode/$name:dev" "$context" >&2
  ref=$(push_image "containers-storage:[overlay@$CACHE/buildah/storage+$CACHE/buildah/run]localhost/pymode/$name:dev" \
    "$PYMODE_CLUSTER_REGISTRY_HOST/pymode/$name:dev")
  local size
  size=$(skopeo inspect --raw --tls-verify=false "docker://$ref" \
    | python3 -c 'import json,sys; m=json.load(sys.stdin); print(round(sum(l["size"] for l in m["layers"])/1e6,1))')
  log "$name: $PYMODE_CLUSTER_REGISTRY/${ref#*/} ($size MB compressed) in $(( $(date +%s) - t0 ))s"
  echo "$PYMODE_CLUSTER_REGISTRY/${ref#*/}"
}

touch "$STATE/images.env"
set_image() { # VAR value
  sed -i "/^export $1=/d" "$STATE/images.env"
  echo "export $1=$2" >> "$STATE/images.env"
}
for t in "${targets[@]}"; do
  case "$t" in
    operator)
      [[ -f operator/target/quarkus-app/quarkus-run.jar ]] || mvn -B -q -pl operator -am package -DskipTests >&2
      ref=$(build operator operator/src/main/docker/Dockerfile)
      set_image PYMODE_OPERATOR_IMAGE "$ref" ;;
    builder)
      ref=$(build builder builder-image/Dockerfile)
      set_image PYMODE_BUILDER_IMAGE "$ref" ;;
    flux)
      # The context is the directory of the two binaries hack/cluster/provision.sh built.
      ref=$(build flux hack/cluster/flux/Dockerfile "$(flux_dir)/bin")
      set_image PYMODE_FLUX_IMAGE "$ref" ;;
    *) log "unknown image $t (operator, builder, flux)"; exit 2 ;;
  esac
done
echo "$STATE/images.env"
