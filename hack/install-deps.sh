#!/usr/bin/env bash
# Installs the host packages a real (non-simulated) velad node needs for its tests:
# iptables/conntrack (CNI port mapping and kube-proxy). containerd is built into velad, and
# runc and the CNI plugins are carried inside it (hack/build-runtime.sh, run by make build).
# Safe to run again; does nothing when all are there.
set -euo pipefail
need=()
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
