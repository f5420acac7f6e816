#!/usr/bin/env bash
# Copies the generated CRDs (the single source: the repository's crds/, produced from the Java model by
# `make crds`) into the chart's crds/ directory, where Helm installs them before the templates.
# delivery-tests' ChartCrdsDriftTest fails when the two differ; run this script to fix it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/charts/pymode-operator/crds"
mkdir -p "$dest"
rm -f "$dest"/*.yml "$dest"/*.yaml
cp "$root"/crds/*.yml "$dest"/
ls "$dest"
