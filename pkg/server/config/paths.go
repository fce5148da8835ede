package config

import (
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
)

// CertDir is where the cluster's PKI lives.
func (c *Config) CertDir() string { return filepath.Join(c.DataDir, "tls") }

// DBDir is where the SQLite datastore lives.
func (c *Config) DBDir() string { return filepath.Join(c.DataDir, "db") }

// DBFile is the SQLite database file.
func (c *Config) DBFile() string { return filepath.Join(c.DBDir(), "state.db") }

// RunDir holds sockets, the pid file and the phase file of a running server.
func (c *Config) RunDir() string { return filepath.Join(c.DataDir, "run") }

// KubeconfigDir holds the generated kubeconfig files.
func (c *Config) KubeconfigDir() string { return filepath.Join(c.DataDir, "kubeconfig") }

// AdminKubeconfig is the external admin kubeconfig users get from `velad kubeconfig`.
func (c *Config) AdminKubeconfig() string { return filepath.Join(c.KubeconfigDir(), "admin.yaml") }

// InternalKubeconfig is the admin kubeconfig addressed by the node IP, for other clusters.
func (c *Config) InternalKubeconfig() string {
	return filepath.Join(c.KubeconfigDir(), "internal.yaml")
}

// ComponentKubeconfig is the kubeconfig of one embedded component (controller-manager, …).
func (c *Config) ComponentKubeconfig(component string) string {
	return filepath.Join(c.KubeconfigDir(), component+".yaml")
}

// LogFile is where a detached server writes its log.
func (c *Config) LogFile() string { return filepath.Join(c.DataDir, "logs", "server.log") }

// PIDFile holds the pid of the supervising process of a detached server.
func (c *Config) PIDFile() string { return filepath.Join(c.RunDir(), "velad.pid") }

// PhaseFile holds the last start-up phase the server reached.
func (c *Config) PhaseFile() string { return filepath.Join(c.RunDir(), "phase") }

// TokenFile holds the cluster join token (mode 0600).
func (c *Config) TokenFile() string { return filepath.Join(c.DataDir, "token") }

// AgentDir holds the real node's state: containerd's root, kubelet's root, CNI config.
func (c *Config) AgentDir() string { return filepath.Join(c.DataDir, "agent") }

// AgentRunDir holds the real node's sockets and runtime state, under /run so that unix
// socket paths stay short and a reboot clears it; named by a hash of the data dir.
func (c *Config) AgentRunDir() string {
	sum := sha256.Sum256([]byte(c.DataDir))
	return filepath.Join("/run/velad", hex.EncodeToString(sum[:])[:12])
}

// RegistriesFile configures a real node's registry mirrors and credentials (k3s format).
func (c *Config) RegistriesFile() string { return filepath.Join(c.DataDir, "registries.yaml") }

// NodeModeFile records which node mode the running server chose, and why.
func (c *Config) NodeModeFile() string { return filepath.Join(c.RunDir(), "node-mode") }

// GatewayFile holds the address the built-in gateway (ingress proxy) listens on while it runs.
func (c *Config) GatewayFile() string { return filepath.Join(c.RunDir(), "gateway") }
