# Pinned versions of the single-node cluster's parts (sourced by hack/cluster/*.sh). Changing one rebuilds it.
K8S_VERSION="${K8S_VERSION:-1.34.2}"
CRICTL_VERSION=v1.34.0
HELM_VERSION=v3.19.0
COREDNS_VERSION=v1.12.4
PAUSE_TAG=1.0
# Flux (GitOps tier): built from the Go sources (hack/lib/flux.sh). v1.10 needs modules the module proxy reachable here
# does not serve (fluxcd/pkg/masktoken v0.10.0, spiffe, apis/crypto); v1.9.6 builds, with one pin below.
FLUX_SOURCE_CONTROLLER_VERSION=v1.9.6
FLUX_KUSTOMIZE_CONTROLLER_VERSION=v1.9.6
# source-controller v1.9.6 requires fluxcd/pkg/artifact v0.18.3, which that proxy does not serve; v0.18.0 (same minor).
FLUX_SOURCE_CONTROLLER_PINS=(github.com/fluxcd/pkg/artifact=v0.18.0)
