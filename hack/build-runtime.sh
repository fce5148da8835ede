#!/usr/bin/env bash
# Compiles runc, containerd's runc shim and the CNI plugins a real node uses (bridge,
# host-local, portmap, loopback) from their Go modules and writes them gzip-compressed into pkg/agent/bundled/payload, which
# velad embeds (`make build` runs this first). Nothing is rebuilt when the payload already holds
# these versions. Without this step velad still builds and uses the host's runc and plugins,
# and itself as the shim (a whole velad process per pod; the carried shim is a few MB).
#
# runc is linked statically with libseccomp (containerd gives every pod sandbox the runtime's
# default seccomp profile), so it needs libseccomp-dev to build and nothing on the node.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNC_VERSION=v1.5.2
CNI_PLUGINS_VERSION=v1.9.1
# The shim matches the containerd velad links (go.mod).
CONTAINERD_VERSION=$(go list -m -f '{{.Version}}' github.com/containerd/containerd/v2)
out=pkg/agent/bundled/payload
stamp="runc $RUNC_VERSION (static, seccomp) containerd-shim-runc-v2 $CONTAINERD_VERSION cni-plugins $CNI_PLUGINS_VERSION $(go env GOOS)/$(go env GOARCH)"
binaries="runc containerd-shim-runc-v2 bridge host-local portmap loopback"
# Up to date: the stamp matches and every binary is there.
up_to_date() {
  [ -f "$out/VERSIONS" ] && [ "$(cat "$out/VERSIONS")" = "$stamp" ] || return 1
  for b in $binaries; do
    [ -s "$out/$b.gz" ] || return 1
  done
}
if up_to_date; then
  exit 0
fi
if ! pkg-config --exists libseccomp 2>/dev/null; then
  echo "build-runtime: runc needs libseccomp's headers and static library to build: install libseccomp-dev and pkg-config (Debian: apt-get install libseccomp-dev pkg-config)" >&2
  exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Each is built in module mode from its own go.mod (`go install pkg@version`), not velad's.
CGO_ENABLED=1 GOBIN="$tmp" GOFLAGS=-buildvcs=false \
  go install -trimpath -tags "seccomp netgo osusergo" -ldflags "-s -w -extldflags -static" \
  "github.com/opencontainers/runc@$RUNC_VERSION"
CGO_ENABLED=0 GOBIN="$tmp" GOFLAGS=-buildvcs=false \
  go install -trimpath -ldflags "-s -w" \
  "github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2@$CONTAINERD_VERSION"
p=github.com/containernetworking/plugins/plugins
CGO_ENABLED=0 GOBIN="$tmp" GOFLAGS=-buildvcs=false \
  go install -trimpath -ldflags "-s -w" \
  "$p/main/bridge@$CNI_PLUGINS_VERSION" "$p/ipam/host-local@$CNI_PLUGINS_VERSION" \
  "$p/meta/portmap@$CNI_PLUGINS_VERSION" "$p/main/loopback@$CNI_PLUGINS_VERSION"
rm -f "$out"/*.gz "$out/VERSIONS"
for b in $binaries; do
  gzip -9n <"$tmp/$b" >"$out/$b.gz"
done
echo "$stamp" >"$out/VERSIONS"
echo "build-runtime: $stamp -> $out ($(du -ch "$out"/*.gz | tail -1 | cut -f1) compressed)"
