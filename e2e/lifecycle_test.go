package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const manifest = `apiVersion: v1
kind: ConfigMap
metadata:
  name: e2e-keep
data:
  answer: "42"
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: e2e-web
spec:
  replicas: 2
  selector:
    matchLabels: {app: e2e-web}
  template:
    metadata:
      labels: {app: e2e-web}
    spec:
      containers:
      - name: web
        image: nginx
`

// TestClusterLifecycle is the user's path: install, kubectl apply, status, kill -9, start,
// objects intact, a second --cluster-only cluster, uninstall both, nothing left behind.
func TestClusterLifecycle(t *testing.T) {
	h := newHost(t)
	port := strconv.Itoa(freePort(t))
	out := h.must("install", "--node", "simulated", "--port", port)
	if !strings.Contains(out, "is ready") || !strings.Contains(out, "kubeconfig:") {
		t.Fatalf("install output lacks readiness and kubeconfig path:\n%s", out)
	}
	if out := h.must("install", "--node", "simulated", "--port", port); !strings.Contains(out, "already installed and running") {
		t.Fatalf("second install should say the cluster runs:\n%s", out)
	}
	kcPath := strings.TrimSpace(h.must("kubeconfig"))
	if st, err := os.Stat(kcPath); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("kubeconfig %s: mode %v err %v, want 0600", kcPath, st.Mode(), err)
	}
	hostKC := strings.TrimSpace(h.must("kubeconfig", "--host", "localhost"))
	if out := h.must("kubectl", "--kubeconfig", hostKC, "get", "nodes"); !strings.Contains(out, "Ready") {
		t.Fatalf("kubeconfig --host localhost does not reach the cluster:\n%s", out)
	}
	if out, err := h.run("kubeconfig", "--host", "not-in-cert.example"); err == nil || !strings.Contains(out, "tlsSANs") {
		t.Fatalf("kubeconfig --host for a name outside the certificate: err=%v out=%s", err, out)
	}
	mf := writeTemp(t, "objs.yaml", manifest)
	// The embedded components report the Kubernetes version velad links (not v0.0.0-master):
	// kubectl version parses it, Helm charts' kubeVersion constraints check it.
	if out := h.must("kubectl", "version", "-o", "json"); strings.Count(out, `"gitVersion": "v1.`) != 2 || strings.Contains(out, "master") {
		t.Errorf("kubectl version: want client and server at velad's Kubernetes v1.x version:\n%s", out)
	}
	h.must("kubectl", "apply", "-f", mf)
	waitFor(t, "2 ready e2e-web pods", func() bool {
		out, _ := h.run("kubectl", "get", "deploy", "e2e-web", "-o", "jsonpath={.status.readyReplicas}")
		return strings.TrimSpace(out) == "2"
	})
	st := h.status()
	if len(st) != 1 || !st[0].Ready || !strings.Contains(st[0].Node, "simulated, Ready") {
		t.Fatalf("status after install: %+v", st)
	}

	dataDir := filepath.Join(h.home, "default")
	// kill -9 the server only: the supervisor restarts it.
	killServer(t, dataDir)
	h.waitReady("default", 2*time.Minute)
	assertObjects(t, h)

	// kill -9 everything, then `velad start`.
	for _, pid := range pids(dataDir) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	waitFor(t, "all processes gone", func() bool { return len(pids(dataDir)) == 0 })
	if st := h.status(); st[0].State != "stopped" {
		t.Fatalf("after kill -9 of all processes state = %q, want stopped", st[0].State)
	}
	h.must("start")
	h.waitReady("default", 2*time.Minute)
	assertObjects(t, h)
	if out := h.must("start"); !strings.Contains(out, "already running") {
		t.Fatalf("start of a running cluster: %s", out)
	}

	subPort := strconv.Itoa(freePort(t))
	// sub lives in a --data-dir outside VELAD_HOME; every command still finds it by name.
	subDir := filepath.Join(t.TempDir(), "elsewhere", "sub")
	h.must("install", "--name", "sub", "--cluster-only", "--port", subPort, "--data-dir", subDir)
	names := map[string]bool{}
	for _, s := range h.status() {
		if !s.Ready {
			t.Errorf("cluster %s not ready: %+v", s.Name, s)
		}
		names[s.Name] = true
	}
	if !names["default"] || !names["sub"] {
		t.Fatalf("status lists %v, want default and sub", names)
	}
	out, err := h.run("kubectl", "--kubeconfig", strings.TrimSpace(h.must("kubeconfig", "--name", "sub")), "get", "configmap", "e2e-keep")
	if err == nil {
		t.Fatalf("sub cluster must have its own datastore, but it has e2e-keep:\n%s", out)
	}

	h.must("uninstall", "--name", "sub")
	h.must("uninstall")
	for _, d := range []string{dataDir, filepath.Join(h.home, "sub"), subDir} {
		if _, err := os.Stat(d); !os.IsNotExist(err) {
			t.Errorf("%s still exists after uninstall", d)
		}
		if p := pids(d); len(p) != 0 {
			t.Errorf("processes left for %s: %v", d, p)
		}
	}
}

func assertObjects(t *testing.T, h *host) {
	t.Helper()
	out := h.must("kubectl", "get", "configmap", "e2e-keep", "-o", "jsonpath={.data.answer}")
	if strings.TrimSpace(out) != "42" {
		t.Fatalf("configmap e2e-keep lost its data after restart: %q", out)
	}
	h.must("kubectl", "get", "deployment", "e2e-web")
}
