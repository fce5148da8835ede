package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const webApp = `apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: e2e-app
spec:
  components:
    - name: e2e-server
      type: webservice
      properties:
        image: oamdev/hello-world
        ports:
         - port: 8000
           expose: true
      traits:
        - type: scaler
          properties:
            replicas: 2
`

// TestDeliverApplication is the headline path: velad install, vela up, running, vela delete.
func TestDeliverApplication(t *testing.T) {
	h := newHost(t)
	h.must("install", "--node", "simulated", "--port", strconv.Itoa(freePort(t)))
	appFile := filepath.Join(t.TempDir(), "app.yaml")
	if err := os.WriteFile(appFile, []byte(webApp), 0o600); err != nil {
		t.Fatal(err)
	}
	vela := filepath.Join(t.TempDir(), "vela")
	if err := os.Symlink(veladBin, vela); err != nil {
		t.Fatal(err)
	}
	kc := strings.TrimSpace(h.must("kubeconfig"))
	out, err := h.runAsEnv(vela, []string{"KUBECONFIG=" + kc}, "up", "-f", appFile, "--wait")
	if err != nil || !strings.Contains(out, "running") {
		t.Fatalf("vela up --wait: %v\n%s", err, out)
	}
	ready := h.must("kubectl", "--kubeconfig", kc, "get", "deployment", "e2e-server", "-o", "jsonpath={.status.readyReplicas}")
	if strings.TrimSpace(ready) != "2" {
		t.Fatalf("deployment e2e-server ready replicas = %q, want 2 (scaler trait)", ready)
	}
	out, err = h.runAsEnv(vela, []string{"KUBECONFIG=" + kc}, "status", "e2e-app")
	if err != nil || !strings.Contains(out, "running") || !strings.Contains(out, "scaler") {
		t.Fatalf("vela status: %v\n%s", err, out)
	}
	out, err = h.runAsEnv(vela, []string{"KUBECONFIG=" + kc}, "delete", "e2e-app", "--wait", "-y")
	if err != nil {
		t.Fatalf("vela delete: %v\n%s", err, out)
	}
	if out, err := h.run("kubectl", "--kubeconfig", kc, "get", "deployment", "e2e-server"); err == nil {
		t.Fatalf("deployment still exists after vela delete --wait:\n%s", out)
	}
}
