package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
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
	poll(h.t, "cluster "+name+" ready", timeout, 200*time.Millisecond, func() error {
		st := h.status()
		for _, s := range st {
			if s.Name == name && s.Ready {
				return nil
			}
		}
		return fmt.Errorf("velad status: %+v", st)
	})
}

// poll calls cond every `every` until it returns nil; after timeout it fails the test with
// what it waited for and cond's last error.
func poll(t testing.TB, what string, timeout, every time.Duration, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s: %v", what, timeout, err)
		}
		time.Sleep(every)
	}
}

// waitFor polls cond for up to two minutes.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	poll(t, what, 2*time.Minute, 200*time.Millisecond, func() error {
		if cond() {
			return nil
		}
		return errors.New("the condition does not hold")
	})
}

// killServer kills the `velad server` process of dataDir with SIGKILL and waits until that
// process is gone (its supervisor restarts it); it returns the killed pid.
func killServer(t testing.TB, dataDir string) int {
	t.Helper()
	pid := serverPID(dataDir)
	if pid == 0 {
		t.Fatalf("no velad server process of %s found", dataDir)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9 %d: %v", pid, err)
	}
	poll(t, fmt.Sprintf("the killed server %d gone", pid), 30*time.Second, 50*time.Millisecond, func() error {
		if serverPID(dataDir) == pid {
			return fmt.Errorf("pid %d still serves %s", pid, dataDir)
		}
		return nil
	})
	return pid
}

// writeTemp writes content to a file called name in a temporary directory of t's.
func writeTemp(t testing.TB, name, content string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(f, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// kubectlOf returns a kubectl of the host's velad for cluster's kubeconfig ("" for the default).
func (h *host) kubectlOf(cluster string) func(args ...string) (string, error) {
	h.t.Helper()
	args := []string{"kubeconfig"}
	if cluster != "" {
		args = append(args, "--name", cluster)
	}
	kc := strings.TrimSpace(h.must(args...))
	return func(args ...string) (string, error) {
		return h.run(append([]string{"kubectl", "--kubeconfig", kc}, args...)...)
	}
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
