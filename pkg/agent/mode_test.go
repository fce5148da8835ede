package agent

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"velad.io/velad/pkg/server/config"
)

func TestResolveDefaults(t *testing.T) {
	member := config.New("m", "/tmp/m")
	member.ClusterOnly = true
	d, err := Resolve(member)
	if err != nil || d.Real || !strings.Contains(d.Reason, "--cluster-only") {
		t.Fatalf("a --cluster-only member without --node resolved to %+v, %v; want simulated, saying why", d, err)
	}
	sim := config.New("s", "/tmp/s")
	sim.Node.Mode = config.NodeSimulated
	if d, err := Resolve(sim); err != nil || d.Real {
		t.Fatalf("--node simulated resolved to %+v, %v", d, err)
	}
	bad := config.New("b", "/tmp/b")
	bad.Node.Mode = "virtual"
	if _, err := Resolve(bad); err == nil || !strings.Contains(err.Error(), "real, simulated or auto") {
		t.Fatalf("unknown mode: %v", err)
	}
	auto := config.New("a", "/tmp/a")
	d, err = Resolve(auto)
	if err != nil || !strings.HasPrefix(d.Reason, "auto: ") {
		t.Fatalf("no --node resolved to %+v, %v; want an auto decision", d, err)
	}
}

func TestOtherRealNode(t *testing.T) {
	root := t.TempDir()
	own, other, dead := filepath.Join(root, "own"), filepath.Join(root, "other"), filepath.Join(root, "dead")
	for _, d := range []string{own, other, dead} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	// Our own live node and a dead one's leftover socket file do not count.
	for _, d := range []string{own} {
		l, err := net.Listen("unix", filepath.Join(d, "containerd.sock"))
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
	}
	if err := os.WriteFile(filepath.Join(dead, "containerd.sock"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if got := otherRealNode(root, own); got != "" {
		t.Fatalf("with no other live node: %q", got)
	}
	l, err := net.Listen("unix", filepath.Join(other, "containerd.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := os.WriteFile(filepath.Join(other, ownerFile), []byte("edge\n/var/lib/velad/edge\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := otherRealNode(root, own); !strings.Contains(got, `"edge"`) || !strings.Contains(got, "/var/lib/velad/edge") {
		t.Fatalf("another live node: %q, want it named with its data dir", got)
	}
}
