# Pinned versions of the single-node cluster's parts (sourced by hack/cluster/*.sh). Changing one rebuilds it.
K8S_VERSION="${K8S_VERSION:-1.34.2}"
CRICTL_VERSION=v1.34.0
HELM_VERSION=v3.19.0
COREDNS_VERSION=v1.12.4
PAUSE_TAG=1.0
