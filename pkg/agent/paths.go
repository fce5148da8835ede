package agent

import (
	"path/filepath"

	"velad.io/velad/pkg/server/config"
)

// Paths are the files and directories of one real node.
type Paths struct {
	// Dir is <data-dir>/agent.
	Dir string
	// RunDir is /run/velad/<hash>: sockets and containerd's state.
	RunDir string
}

// PathsFor returns the node paths of a cluster.
func PathsFor(c *config.Config) Paths { return Paths{Dir: c.AgentDir(), RunDir: c.AgentRunDir()} }

// ContainerdConfig is containerd's config.toml.
func (p Paths) ContainerdConfig() string {
	return filepath.Join(p.Dir, "etc", "containerd", "config.toml")
}

// RegistryHostsDir is containerd's registry config_path: <registry>/hosts.toml files
// rendered from registries.yaml.
func (p Paths) RegistryHostsDir() string { return filepath.Join(p.Dir, "etc", "containerd", "certs.d") }

// ContainerdRoot is containerd's persistent root (images, snapshots).
func (p Paths) ContainerdRoot() string { return filepath.Join(p.Dir, "containerd") }

// ContainerdState is containerd's runtime state directory.
func (p Paths) ContainerdState() string { return filepath.Join(p.RunDir, "containerd") }

// ContainerdSocket is containerd's gRPC socket.
func (p Paths) ContainerdSocket() string { return filepath.Join(p.RunDir, "containerd.sock") }

// ContainerdLog is where the containerd sub-process writes its log.
func (p Paths) ContainerdLog() string { return filepath.Join(p.Dir, "containerd.log") }

// BinDir holds the carried runtime binaries (one directory per payload) and the shim
// wrapper containerd finds on its PATH when velad carries no shim.
func (p Paths) BinDir() string { return filepath.Join(p.Dir, "bin") }

// CNIConfDir is where containerd writes the CNI config from the template.
func (p Paths) CNIConfDir() string { return filepath.Join(p.Dir, "etc", "cni", "net.d") }

// CNITemplate is the CNI config template containerd fills with the node's pod CIDR.
func (p Paths) CNITemplate() string { return filepath.Join(p.Dir, "etc", "cni", "velad.conflist.tmpl") }

// IPAMDir is host-local IPAM's lease directory.
func (p Paths) IPAMDir() string { return filepath.Join(p.Dir, "cni", "ipam") }

// KubeletRoot is the kubelet's root directory (pods, volumes, plugins).
func (p Paths) KubeletRoot() string { return filepath.Join(p.Dir, "kubelet") }

// KubeletPKI is the kubelet's certificate directory: on a joined agent, also the store of its
// rotated client certificates (kubelet-client-current.pem).
func (p Paths) KubeletPKI() string { return filepath.Join(p.KubeletRoot(), "pki") }

// PodLogDir holds container logs.
func (p Paths) PodLogDir() string { return filepath.Join(p.Dir, "pod-logs") }
