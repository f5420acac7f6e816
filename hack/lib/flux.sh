# Builds Flux controllers from their Go sources, fetched through the Go module proxy at a pinned release.
# A controller's go.mod replaces its own API module with the ./api directory of its git tree; a module download
# holds no nested module, so a writable copy of the module drops that one replace (the API module of the same
# release is required by version anyway) and keeps every other replace, hence upstream's build list, except for the
# pins given: `module=version` replaces for dependency versions the module proxy reachable here does not serve.
# Usage: source hack/cluster/versions.sh hack/lib/flux.sh
#   flux_build <controller> <version> [module=version]...   builds $(flux_dir)/bin/<controller> and copies the
#     controller's CRDs (config/crd/bases) to $(flux_dir)/crds/; controller: source-controller | kustomize-controller
#   flux_dir   the cache directory of the pinned releases (hack/cluster/versions.sh)

flux_dir() {
  echo "${XDG_CACHE_HOME:-$HOME/.cache}/pymode/cluster/flux-sc-$FLUX_SOURCE_CONTROLLER_VERSION-kc-$FLUX_KUSTOMIZE_CONTROLLER_VERSION"
}

flux_build() {
  local name="$1" version="$2"; shift 2
  local module="github.com/fluxcd/$name"
  local work="${XDG_CACHE_HOME:-$HOME/.cache}/pymode/flux-build/$name@$version"
  local out crds
  out="$(flux_dir)/bin" crds="$(flux_dir)/crds"
  mkdir -p "$out" "$crds"
  if [[ ! -f "$work/.ready" ]]; then
    local dir pin
    dir=$(cd /tmp && GOFLAGS=-mod=mod go mod download -json "$module@$version" | sed -nE 's/^\s*"Dir": "(.*)",$/\1/p')
    [[ -d "$dir" ]] || { echo "$module@$version: no module directory" >&2; return 1; }
    rm -rf "$work" && mkdir -p "$work" && cp -r "$dir/." "$work/" && chmod -R u+w "$work"
    (cd "$work" && go mod edit -dropreplace="$module/api")
    for pin in "$@"; do
      (cd "$work" && go mod edit -replace="${pin%%=*}=${pin%%=*}@${pin#*=}")
    done
    touch "$work/.ready"
  fi
  (cd "$work" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$out/$name" .)
  cp "$work"/config/crd/bases/*.yaml "$crds/"
}
