// Package containerd runs containerd (github.com/containerd/containerd/v2) and its runc shim
// as personalities of the velad binary, k3s style: `velad containerd --config …` is the
// daemon, and a process started with VELAD_MULTICALL=containerd-shim-runc-v2 is the shim.
// Only the plugins a single CRI node needs are linked: no btrfs, zfs, devmapper, erofs,
// tracing, NRI or image verifiers.
package containerd
