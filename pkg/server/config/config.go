package config

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/spf13/pflag"
	"sigs.k8s.io/yaml"
)

// DefaultName is the name of the cluster commands act on when --name is not given.
const DefaultName = "default"

// DefaultPort is the API server port of the first cluster on a host.
const DefaultPort = 6443

// Config is everything needed to run one cluster. Nested groups keep each area small.
type Config struct {
	// Name identifies the cluster on this host (DNS-label characters only).
	Name string `json:"name"`
	// DataDir holds the datastore, certificates, kubeconfigs and logs of the cluster.
	DataDir string `json:"dataDir"`
	// ClusterOnly runs a bare Kubernetes cluster without the delivery controller.
	ClusterOnly bool `json:"clusterOnly,omitempty"`
	// APIServer configures the Kubernetes API endpoint.
	APIServer APIServer `json:"apiServer"`
	// Node configures the cluster's node.
	Node Node `json:"node"`
	// Network holds the pod and service address ranges.
	Network Network `json:"network"`
	// Join, when set, makes this an agent of another cluster (`velad join`): a real node
	// only, no control plane.
	Join *Join `json:"join,omitempty"`
	// ServerArgs are `velad server` tuning flags given to install (--flag=value),
	// applied each time the server starts unless its command line sets them.
	ServerArgs []string `json:"serverArgs,omitempty"`
}

// APIServer configures where and how the API server listens.
type APIServer struct {
	// BindIP is the address the API server listens on (0.0.0.0 for all).
	BindIP string `json:"bindIP"`
	// Port is the API server's TLS port.
	Port int `json:"port"`
	// TLSSANs are extra names or IPs for the serving certificate.
	TLSSANs []string `json:"tlsSANs,omitempty"`
	// ExtraArgs are appended to the kube-apiserver flags (user wins).
	ExtraArgs []string `json:"extraArgs,omitempty"`
}

// Node configures the cluster's single node.
type Node struct {
	// Name is the Node object's name; defaults to the host name.
	Name string `json:"name,omitempty"`
	// IP is the address the node and API server advertise; defaults to the host's interface.
	IP string `json:"ip,omitempty"`
	// Mode is how pods run: NodeReal (kubelet + containerd), NodeSimulated (kwok) or NodeAuto
	// (real where the host can run containers). Empty means auto, or simulated for a
	// --cluster-only member.
	Mode string `json:"mode,omitempty"`
}

// Node modes.
const (
	// NodeReal runs pods in containers: an embedded kubelet over a containerd sub-process.
	NodeReal = "real"
	// NodeSimulated simulates pods with kwok: nothing runs, everything reports Running.
	NodeSimulated = "simulated"
	// NodeAuto picks real where the host can run containers, else simulated.
	NodeAuto = "auto"
)

// Join is where an agent node's cluster is.
type Join struct {
	// Server is the cluster's API server URL, https://<ip>:<port>.
	Server string `json:"server"`
}

// Network holds address ranges for pods and services.
type Network struct {
	// ClusterCIDR is the pod address range.
	ClusterCIDR string `json:"clusterCIDR"`
	// ServiceCIDR is the service address range.
	ServiceCIDR string `json:"serviceCIDR"`
}

var nameRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$`)

// New returns a configuration with defaults for the named cluster in dataDir.
func New(name, dataDir string) *Config {
	return &Config{
		Name:      name,
		DataDir:   dataDir,
		APIServer: APIServer{BindIP: "0.0.0.0", Port: DefaultPort},
		Network:   Network{ClusterCIDR: "10.42.0.0/16", ServiceCIDR: "10.43.0.0/16"},
	}
}

// AddFlags binds the flags shared by `velad install` and `velad server` to c.
func (c *Config) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.APIServer.BindIP, "bind-ip", c.APIServer.BindIP, "(networking) address the API server listens on")
	fs.IntVar(&c.APIServer.Port, "port", c.APIServer.Port, "(networking) API server port (default: 6443 for the first cluster, the next free port for others)")
	fs.StringSliceVar(&c.APIServer.TLSSANs, "tls-san", c.APIServer.TLSSANs, "(networking) extra host names or IPs for the API server certificate")
	fs.StringVar(&c.Node.IP, "node-ip", c.Node.IP, "(networking) IP address the node advertises (default: the host's main interface)")
	fs.StringVar(&c.Node.Name, "node-name", c.Node.Name, "(node) name of the node (default: the host name)")
	fs.StringVar(&c.Node.Mode, "node", c.Node.Mode, "(node) how pods run: real (kubelet + containerd; Linux, root), simulated (kwok, nothing runs) or auto (real where the host can run containers and runs no other real node) (default: auto; simulated with --cluster-only)")
	fs.StringSliceVar(&c.APIServer.ExtraArgs, "kube-apiserver-arg", c.APIServer.ExtraArgs, "(flags) extra --flag=value for kube-apiserver")
	fs.BoolVar(&c.ClusterOnly, "cluster-only", c.ClusterOnly, "(components) run only Kubernetes, without the application delivery controller")
}

// Validate reports the first problem with c as an actionable error.
func (c *Config) Validate() error {
	if err := ValidateName(c.Name); err != nil {
		return err
	}
	if c.DataDir == "" || !filepath.IsAbs(c.DataDir) {
		return fmt.Errorf("data dir %q must be an absolute path", c.DataDir)
	}
	if c.APIServer.Port < 1 || c.APIServer.Port > 65535 {
		return fmt.Errorf("--port %d is out of range: use 1-65535", c.APIServer.Port)
	}
	if net.ParseIP(c.APIServer.BindIP) == nil {
		return fmt.Errorf("--bind-ip %q is not an IP address", c.APIServer.BindIP)
	}
	switch c.Node.Mode {
	case "", NodeReal, NodeSimulated, NodeAuto:
	default:
		return fmt.Errorf("--node %q is not a node mode: use real, simulated or auto", c.Node.Mode)
	}
	if c.Node.IP != "" && net.ParseIP(c.Node.IP) == nil {
		return fmt.Errorf("--node-ip %q is not an IP address", c.Node.IP)
	}
	for _, cidr := range []string{c.Network.ClusterCIDR, c.Network.ServiceCIDR} {
		if _, _, err := net.ParseCIDR(cidr); err != nil {
			return fmt.Errorf("network range %q is not a CIDR: %w", cidr, err)
		}
	}
	return nil
}

// ValidateName checks that a cluster name is usable in paths, kubeconfig contexts and labels.
func ValidateName(name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("invalid cluster name %q: use 1-32 lowercase letters, digits or '-', starting and ending with a letter or digit", name)
	}
	return nil
}

// ErrNotInstalled is returned when a cluster has no configuration on this host.
var ErrNotInstalled = errors.New("cluster is not installed")

// Load reads <dataDir>/config.yaml.
func Load(dataDir string) (*Config, error) {
	data, err := os.ReadFile(filepath.Join(dataDir, "config.yaml"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: no %s", ErrNotInstalled, filepath.Join(dataDir, "config.yaml"))
	}
	if err != nil {
		return nil, fmt.Errorf("reading cluster config: %w", err)
	}
	c := &Config{}
	if err := yaml.UnmarshalStrict(data, c); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", filepath.Join(dataDir, "config.yaml"), err)
	}
	return c, nil
}

// Save writes c to <dataDir>/config.yaml (mode 0600), creating the data dir.
func (c *Config) Save() error {
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return fmt.Errorf("creating data dir %s: %w", c.DataDir, err)
	}
	data, err := yaml.Marshal(c)
	if err != nil {
		return err
	}
	tmp := filepath.Join(c.DataDir, ".config.yaml.tmp")
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("writing cluster config in %s (is the data dir writable?): %w", c.DataDir, err)
	}
	return os.Rename(tmp, filepath.Join(c.DataDir, "config.yaml"))
}

// DefaultNodeName is the node name a cluster gets without --node-name: the host name's first
// label, lower-cased, or fallback when the host has none.
func DefaultNodeName(fallback string) string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = fallback
	}
	return strings.ToLower(strings.Split(host, ".")[0])
}
