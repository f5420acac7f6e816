# Builds Kubernetes components from the Kubernetes Go sources through the Go module proxy: one wrapper module
# (require k8s.io/kubernetes vX plus `replace` lines that pin every staging module to the matching v0 release),
# shared by every component so the Go build cache is shared too.
# Usage: source hack/lib/kubernetes.sh; kube_build <version> <out-dir> <component>...
#   component: a directory under k8s.io/kubernetes/cmd (kube-apiserver, kubelet, kube-proxy, ...)

kube_build() {
  local version="$1" out="$2"; shift 2
  local cache="${XDG_CACHE_HOME:-$HOME/.cache}/pymode"
  local mod="$cache/kubernetes-build/v$version"
  local staging_version="v0.${version#1.}"
  mkdir -p "$mod" "$out"
  if [[ ! -f "$mod/go.sum" ]]; then
    local gomod_url="${GOPROXY_URL:-https://proxy.golang.org}/k8s.io/kubernetes/@v/v${version}.mod"
    # The staging module list comes from kubernetes' own go.mod, so a version bump needs no edit here.
    local staging
    staging=$(curl -fsSL "$gomod_url" | sed -nE 's#^\s*(k8s\.io/[a-z0-9-]+) => \./staging/.*#\1#p')
    [[ -n "$staging" ]] || { echo "no staging modules found in $gomod_url" >&2; return 1; }
    {
      echo "module pymode.dev/kubernetes-build"
      echo
      echo "go 1.24.0"
      echo
      echo "require k8s.io/kubernetes v${version}"
      echo
      for m in $staging; do echo "replace $m => $m $staging_version"; done
    } > "$mod/go.mod"
    {
      echo "//go:build tools"
      echo
      echo "// Package tools pins k8s.io/kubernetes and what its commands import, so \`go mod tidy\` keeps them."
      echo "package tools"
      echo
      echo "import ("
      for c in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy; do
        echo "	_ \"k8s.io/kubernetes/cmd/$c/app\""
      done
      echo ")"
    } > "$mod/tools.go"
    # k8s.io/kubernetes is used through a link to its module-cache copy: Go takes build overlays (see
    # kubelet_sysctl_overlay) only for files outside GOMODCACHE, and the link keeps the sources unmodified.
    local dir
    dir=$(cd "$mod" && GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@v$version" | sed -nE 's/^\s*"Dir": "(.*)",$/\1/p')
    [[ -d "$dir" ]] || { echo "k8s.io/kubernetes@v$version: no module directory" >&2; return 1; }
    ln -sfn "$dir" "$mod/k8s-src"
    echo "replace k8s.io/kubernetes => ./k8s-src" >> "$mod/go.mod"
    (cd "$mod" && GOFLAGS=-mod=mod go mod tidy -e >/dev/null 2>&1 || true)
  fi
  local component overlay
  for component in "$@"; do
    overlay=()
    [[ "$component" == kubelet ]] && overlay=(-overlay "$(kubelet_sysctl_overlay "$mod" "$version")")
    (cd "$mod" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath "${overlay[@]}" \
      -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=v${version} -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=${version#1.}" \
      -o "$out/$component" "k8s.io/kubernetes/cmd/$component")
    chmod 0755 "$out/$component"
  done
}

# The kubelet writes host-wide sysctls at start (vm.overcommit_memory, kernel.panic, kernel.panic_on_oops) unless
# told to fail instead. The project's node must never change the host, and failing is no option on a host whose
# values differ, so the kubelet is built with that step switched to warn: a Go build overlay replaces one line of
# pkg/kubelet/cm/container_manager_linux.go at build time (nothing of Kubernetes is kept in this repository).
# Prints the overlay file for `go build -overlay`.
kubelet_sysctl_overlay() {
  local mod="$1" version="$2"
  local original="$mod/k8s-src/pkg/kubelet/cm/container_manager_linux.go"
  local patched="$mod/overlay/container_manager_linux.go"
  mkdir -p "$mod/overlay"
  sed 's/^\(\s*b := \)KernelTunableModify$/\1KernelTunableWarn/' "$original" > "$patched"
  if [[ $(grep -c 'b := KernelTunableWarn$' "$patched") != 1 ]]; then
    echo "kubelet v$version: the kernel-tunables line to patch was not found in $original" >&2
    return 1
  fi
  printf '{"Replace": {"%s": "%s"}}\n' "$original" "$patched" > "$mod/overlay/overlay.json"
  echo "$mod/overlay/overlay.json"
}
