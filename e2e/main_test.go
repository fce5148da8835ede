package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"velad.io/velad/pkg/proc"
)

var veladBin string

func TestMain(m *testing.M) {
	veladBin = os.Getenv("VELAD_BINARY")
	if veladBin == "" {
		dir, err := os.MkdirTemp("", "velad-e2e-bin-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		veladBin = filepath.Join(dir, "velad")
		// make build: runc and the CNI plugins carried in the binary (real-node tests), and the
		// link-time versions (velad's, and the Kubernetes version its components report).
		build := exec.Command("make", "-s", "-C", "..", "build", "BIN="+veladBin)
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "building velad (make build):", err)
			os.Exit(1)
		}
		code := m.Run()
		os.RemoveAll(dir)
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// host is one isolated velad home (VELAD_HOME) for a test.
type host struct {
	t    *testing.T
	home string
}

func newHost(t *testing.T) *host {
	h := &host{t: t, home: t.TempDir()}
	t.Cleanup(func() {
		for _, name := range []string{"agent", "default", "sub", "e2e", "member"} {
			if _, err := os.Stat(filepath.Join(h.home, name)); err == nil {
				_, _ = h.run("uninstall", "--name", name)
			}
		}
	})
	return h
}

// run executes velad with args and returns combined output.
func (h *host) run(args ...string) (string, error) {
	return h.runAs(veladBin, args...)
}

func (h *host) runAs(bin string, args ...string) (string, error) {
	return h.runAsEnv(bin, nil, args...)
}

// runAsEnv runs bin with extra environment variables on top of the host's.
func (h *host) runAsEnv(bin string, env []string, args ...string) (string, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(append(os.Environ(), "VELAD_HOME="+h.home, "KUBECONFIG="), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func (h *host) must(args ...string) string {
	h.t.Helper()
	out, err := h.run(args...)
	if err != nil {
		h.t.Fatalf("velad %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

type clusterStatus struct {
	Name  string `json:"name"`
	State string `json:"state"`
	Ready bool   `json:"ready"`
	Node  string `json:"node"`
	// NodeMode is the mode the server chose and why.
	NodeMode string `json:"nodeMode"`
}

func (h *host) status() []clusterStatus {
	h.t.Helper()
	out := h.must("status", "-o", "json")
	var st []clusterStatus
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		h.t.Fatalf("velad status -o json: %v\n%s", err, out)
	}
	return st
}

func (h *host) waitReady(name string, timeout time.Duration) {
	h.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		for _, s := range h.status() {
			if s.Name == name && s.Ready {
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	h.t.Fatalf("cluster %s not ready after %s: %+v", name, timeout, h.status())
}

// pids returns the live processes serving dir.
func pids(dir string) []int { return proc.WithArg(dir) }

// serverPID returns the pid of the `velad server` process of a data dir.
func serverPID(dataDir string) int {
	for _, pid := range pids(dataDir) {
		if proc.HasArg(pid, "server") {
			return pid
		}
	}
	return 0
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
