package agent

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"velad.io/velad/pkg/server/config"
)

// Decision is the node mode a server runs with and why.
type Decision struct {
	// Real is true for a kubelet + containerd node, false for a simulated one.
	Real bool
	// Reason explains the choice in a few words, for `velad status`.
	Reason string
}

// String renders the decision as "real: reason" or "simulated: reason".
func (d Decision) String() string {
	if d.Real {
		return config.NodeReal + ": " + d.Reason
	}
	return config.NodeSimulated + ": " + d.Reason
}

// KubeletPort is the port the embedded kubelet serves its API on; one real node per host.
const KubeletPort = 10250

// Resolve decides the node mode of a cluster. An empty mode is auto, except for a
// --cluster-only member, which is simulated (members are lightweight). Auto is real where
// the host can run containers and no other real node runs on it. A real node asked for on a
// host that cannot run one is an error that names what is missing.
func Resolve(c *config.Config) (Decision, error) {
	mode := c.Node.Mode
	if mode == "" && c.ClusterOnly {
		return Decision{Reason: "default for --cluster-only members (install with --node real for containers)"}, nil
	}
	switch mode {
	case config.NodeSimulated:
		return Decision{Reason: "asked for (--node simulated)"}, nil
	case config.NodeReal:
		if missing := CheckHost(); missing != "" {
			return Decision{}, fmt.Errorf("--node real: this host cannot run containers: %s; or install with --node simulated", missing)
		}
		if other := OtherRealNode(c); other != "" {
			return Decision{}, fmt.Errorf("--node real: %s, and a host runs one real node: uninstall or stop it, or install this cluster with --node simulated", other)
		}
		return Decision{Real: true, Reason: "asked for (--node real)"}, nil
	case "", config.NodeAuto:
		if missing := CheckHost(); missing != "" {
			return Decision{Reason: "auto: host cannot run containers (" + missing + ")"}, nil
		}
		if other := OtherRealNode(c); other != "" {
			return Decision{Reason: "auto: " + other + " (one real node per host)"}, nil
		}
		return Decision{Real: true, Reason: "auto: host can run containers"}, nil
	}
	return Decision{}, fmt.Errorf("unknown node mode %q: use real, simulated or auto", mode)
}

// ownerFile names, in a real node's run dir, the cluster that runs it.
const ownerFile = "cluster"

// writeOwner records in the node's run dir which cluster runs it, for OtherRealNode.
func writeOwner(p Paths, c *config.Config) error {
	if err := os.MkdirAll(p.RunDir, 0o700); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(p.RunDir, ownerFile), []byte(c.Name+"\n"+c.DataDir+"\n"), 0o600)
}

// OtherRealNode describes a real node of another velad cluster running on this host (its
// containerd answers), or a kubelet holding the kubelet port; "" when there is none.
func OtherRealNode(c *config.Config) string {
	own := c.AgentRunDir()
	return otherRealNode(filepath.Dir(own), own)
}

// otherRealNode looks for a live real node in the run dirs under root, other than own.
func otherRealNode(root, own string) string {
	dirs, _ := filepath.Glob(filepath.Join(root, "*"))
	sort.Strings(dirs)
	for _, d := range dirs {
		if d == own {
			continue
		}
		conn, err := net.DialTimeout("unix", filepath.Join(d, "containerd.sock"), time.Second)
		if err != nil {
			continue
		}
		conn.Close()
		name, dataDir := "unknown", d
		if b, err := os.ReadFile(filepath.Join(d, ownerFile)); err == nil {
			if f := strings.Split(strings.TrimSpace(string(b)), "\n"); len(f) == 2 {
				name, dataDir = f[0], f[1]
			}
		}
		return fmt.Sprintf("velad cluster %q (data dir %s) already runs a real node on this host", name, dataDir)
	}
	l, err := net.Listen("tcp", fmt.Sprintf(":%d", KubeletPort))
	if err != nil {
		return fmt.Sprintf("port %d is in use: another kubelet runs on this host", KubeletPort)
	}
	l.Close()
	return ""
}
