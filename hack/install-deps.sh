#!/usr/bin/env bash
# Installs the host packages velad's build and tests need, and nothing that is already there.
#   hack/install-deps.sh build   cgo toolchain, and libseccomp + pkg-config: runc, which velad
#                                carries (hack/build-runtime.sh), links libseccomp statically
#   hack/install-deps.sh test    the build's, plus iptables/conntrack for the real-node tests
#                                (CNI port mapping, kube-proxy) and systemd for the systemd
#                                driver's test (run as PID 1 of its own namespaces, e2e)
# containerd is built into velad; runc and the CNI plugins are carried inside it. Safe to run
# again. Not root: says what is missing and how to install it, and fails only for the build's.
set -euo pipefail
what=${1:-test}
need=()
command -v gcc >/dev/null || need+=(gcc libc6-dev)
{ [ -f /usr/include/seccomp.h ] && command -v pkg-config >/dev/null; } || need+=(libseccomp-dev pkg-config)
build_need=${#need[@]}
if [ "$what" = test ]; then
  command -v iptables >/dev/null || need+=(iptables)
  command -v conntrack >/dev/null || need+=(conntrack)
  [ -x /lib/systemd/systemd ] || need+=(systemd)
fi
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "install-deps: missing ${need[*]}: install them as root (Debian/Ubuntu: apt-get install ${need[*]})" >&2
  if [ "$build_need" -gt 0 ]; then
    exit 1
  fi
  echo "install-deps: the real-node tests will fall back to the simulated node" >&2
  exit 0
fi
echo "install-deps: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}"
