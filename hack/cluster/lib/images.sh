# Image helpers shared by hack/cluster/*.sh. Needs umoci and skopeo (hack/cluster/provision.sh installs them).

# static_image <binary> <registry/repository:tag> [entrypoint arg...]
# Builds a one-layer image holding a static binary at /<name> (no base image, so nothing to fetch), with fixed
# timestamps so the same binary always gives the same digest, and pushes it to a plain-http registry.
# Prints the pushed reference by digest (registry/repository@sha256:...).
static_image() {
  local binary="$1" ref="$2"; shift 2
  local name work
  name=$(basename "$binary")
  work=$(mktemp -d)
  cp "$binary" "$work/$name"
  touch -d @0 "$work/$name"
  umoci init --layout "$work/layout"
  umoci new --image "$work/layout:img"
  umoci insert --no-history --image "$work/layout:img" "$work/$name" "/$name" >/dev/null 2>&1
  local cfg=(--config.entrypoint "/$name")
  local arg
  for arg in "$@"; do cfg+=(--config.cmd "$arg"); done
  umoci config --no-history --image "$work/layout:img" --os linux --architecture amd64 --created 1970-01-01T00:00:00Z \
    --config.user 65532:65532 "${cfg[@]}"
  umoci gc --layout "$work/layout"
  push_image "oci:$work/layout:img" "$ref"
  rm -rf "$work"
}

# push_image <skopeo source> <registry/repository:tag>: copies an image to a plain-http registry, prints ref@digest.
push_image() {
  local source="$1" ref="$2"
  local digest_file
  digest_file=$(mktemp)
  skopeo copy --quiet --dest-tls-verify=false --digestfile "$digest_file" "$source" "docker://$ref"
  echo "${ref%:*}@$(cat "$digest_file")"
  rm -f "$digest_file"
}
