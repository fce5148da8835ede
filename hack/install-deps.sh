#!/usr/bin/env bash
# Installs the host packages a real (non-simulated) velad node needs for its tests:
# runc (the OCI runtime containerd's shim calls), the CNI plugins (bridge, host-local,
# portmap, loopback) and iptables/conntrack (CNI port mapping and kube-proxy).
# containerd itself is built into velad. Safe to run again; does nothing when all are there.
set -euo pipefail
need=()
command -v runc >/dev/null || need+=(runc)
[ -x /usr/lib/cni/bridge ] || [ -x /opt/cni/bin/bridge ] || need+=(containernetworking-plugins)
command -v iptables >/dev/null || need+=(iptables)
command -v conntrack >/dev/null || need+=(conntrack)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "install-deps: not root, cannot install ${need[*]}; the real-node tests will fall back to the simulated node" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}"
