#!/usr/bin/env bash
# Regenerates the deep-copy functions of pkg/apis/core/v1beta1 and the CRD manifests in
# embedded/crds from the Go types and their kubebuilder markers. Run from anywhere; it
# installs the pinned controller-gen into $(go env GOPATH)/bin when missing.
#
#   hack/gen-apis.sh            regenerate in place
#   hack/gen-apis.sh --verify   fail (exit 1) if the committed files are not what the types generate
set -euo pipefail

verify=false
case "${1:-}" in
--verify) verify=true ;;
"") ;;
*) echo "usage: $0 [--verify]" >&2; exit 2 ;;
esac

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
deepcopy=pkg/apis/core/v1beta1/zz_generated.deepcopy.go
crds=embedded/crds

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/crds"

# Generate into a scratch dir first: CRDs by kind, deep-copy into the package (controller-gen
# writes it nowhere else), saving the committed copy for --verify.
cp "$deepcopy" "$tmp/deepcopy.committed" 2>/dev/null || : >"$tmp/deepcopy.committed"
"$cg" object paths="$apis"
"$cg" crd:crdVersions=v1 paths="$apis" output:crd:dir="$tmp/crds"

if $verify; then
	cp "$deepcopy" "$tmp/deepcopy.generated"
	cp "$tmp/deepcopy.committed" "$deepcopy" # leave the work tree as it was
	stale=0
	cmp -s "$tmp/deepcopy.committed" "$tmp/deepcopy.generated" || { echo "stale: $deepcopy" >&2; stale=1; }
	for f in "$tmp"/crds/core.oam.dev_*.yaml "$crds"/core.oam.dev_*.yaml; do
		b="$(basename "$f")"
		cmp -s "$tmp/crds/$b" "$crds/$b" 2>/dev/null || { echo "stale: $crds/$b" >&2; stale=1; }
	done
	if [ "$stale" = 1 ]; then
		echo "generated API files are out of date: run hack/gen-apis.sh" >&2
		exit 1
	fi
	echo "generated API files are up to date" >&2
	exit 0
fi

# Replace the core.oam.dev manifests only, so a renamed or removed kind leaves no stale file.
rm -f "$crds"/core.oam.dev_*.yaml
cp "$tmp"/crds/core.oam.dev_*.yaml "$crds"/
echo "generated $(ls "$tmp/crds" | wc -l) CRDs into $crds and $deepcopy" >&2
