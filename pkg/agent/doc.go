// Package agent runs velad's real node: containerd as a sub-process of velad (the
// containerd personality of the binary); the kubelet, kube-proxy (iptables mode) and
// cluster DNS (CoreDNS, package dns) as goroutines of the server; and a bridge CNI network
// with host-local IPAM and port mapping. It also decides whether a host
// can run one (Resolve) and removes what a real node leaves on the host (Cleanup).
package agent
