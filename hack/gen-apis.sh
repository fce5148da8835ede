#!/usr/bin/env bash
# Regenerates the deep-copy functions of pkg/apis/core/v1beta1 and the CRD manifests in
# embedded/crds from the Go types and their kubebuilder markers. Run from anywhere; it
# installs the pinned controller-gen into $(go env GOPATH)/bin when missing.
set -euo pipefail

CONTROLLER_GEN_VERSION=v0.23.0
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

gobin="$(go env GOBIN)"
[ -n "$gobin" ] || gobin="$(go env GOPATH)/bin"
cg="$gobin/controller-gen"
if ! "$cg" --version 2>/dev/null | grep -q "$CONTROLLER_GEN_VERSION"; then
	echo "installing controller-gen $CONTROLLER_GEN_VERSION into $gobin" >&2
	(cd /tmp && GOBIN="$gobin" GOFLAGS= go install "sigs.k8s.io/controller-tools/cmd/controller-gen@$CONTROLLER_GEN_VERSION")
fi

apis=./pkg/apis/core/v1beta1/...
crds=embedded/crds

"$cg" object paths="$apis"

# Regenerate the CRDs into a scratch dir, then replace the core.oam.dev files only, so a
# renamed or removed kind does not leave a stale manifest behind.
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$cg" crd:crdVersions=v1 paths="$apis" output:crd:dir="$tmp"
rm -f "$crds"/core.oam.dev_*.yaml
cp "$tmp"/core.oam.dev_*.yaml "$crds"/
echo "generated $(ls "$tmp" | wc -l) CRDs into $crds and the deep-copy functions" >&2
